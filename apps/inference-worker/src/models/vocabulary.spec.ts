import { Vocabulary, byteLevelDecode } from './vocabulary';

describe('Vocabulary', () => {
  it('reads SentencePiece byte-fallback pieces as their byte and text pieces as no raw bytes', () => {
    const v = Vocabulary.fromGguf('spm', ['<unk>', '<0x0A>', '<0xE2>', '\u2581the'])!;
    expect(v.size).toBe(4);
    expect(v.rawBytes(1)).toEqual([0x0a]);
    expect(v.rawBytes(2)).toEqual([0xe2]);
    expect(v.rawBytes(3)).toBeNull();
    expect(v.rawBytes(4)).toBeNull();
  });

  it('decodes GPT-2 byte-level BPE pieces to their bytes', () => {
    // "Ġ" is the space byte; "â", "Ģ" and "ľ" spell the three bytes of '“' (E2 80 9C).
    expect(byteLevelDecode('\u0120the')).toEqual([0x20, 0x74, 0x68, 0x65]);
    expect(byteLevelDecode('\u00e2\u0122\u013e')).toEqual([0xe2, 0x80, 0x9c]);
    expect(Buffer.from(byteLevelDecode('\u00e2\u0122\u013e')!).toString('utf8')).toBe('\u201c');
    expect(byteLevelDecode('\u4e2d')).toBeNull();
    const v = Vocabulary.fromGguf('bpe', ['\u0120the', '\u00e2\u0122'])!;
    expect(v.rawBytes(1)).toEqual([0xe2, 0x80]);
  });

  it('is null for a file without a token list', () => {
    expect(Vocabulary.fromGguf('spm', undefined)).toBeNull();
    expect(Vocabulary.fromGguf('spm', [])).toBeNull();
  });
});
