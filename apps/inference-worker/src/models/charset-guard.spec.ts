import { CharsetGuard } from './charset-guard';

const BYTE_TOKENS = Array.from({ length: 256 }, (_, i) => `<0x${i.toString(16).toUpperCase().padStart(2, '0')}>`);

/** A SentencePiece vocabulary shaped like TinyStories-656K's: single characters, '▁' and merged pieces, no bytes. */
const SINGLE_CHAR_VOCAB = [
  '<unk>',
  '<|start_story|>',
  '<|end_story|>',
  '\n',
  '!',
  '.',
  ',',
  'a',
  'b',
  'c',
  'T',
  't',
  'h',
  'e',
  '\u2581',
  '\u2581the',
  '\u2581cat',
  '{x',
];

describe('CharsetGuard', () => {
  it('does not restrict a SentencePiece vocabulary with byte-fallback tokens', () => {
    const guard = CharsetGuard.fromVocabulary('spm', ['<unk>', 'a', '\u2581', ...BYTE_TOKENS]);
    expect(guard.restricted).toBe(false);
    expect(guard.unsupported('{ "x": [1, 2] } # / é 😀')).toEqual([]);
  });

  it('does not restrict BPE vocabularies or unknown vocabularies', () => {
    expect(CharsetGuard.fromVocabulary('bpe', ['a', 'b']).unsupported('{}#')).toEqual([]);
    expect(CharsetGuard.fromVocabulary('spm', undefined).unsupported('{}#')).toEqual([]);
  });

  it('restricts a vocabulary that is only missing the last byte token', () => {
    const guard = CharsetGuard.fromVocabulary('spm', ['a', '\u2581', ...BYTE_TOKENS.slice(0, 255)]);
    expect(guard.restricted).toBe(true);
    expect(guard.unsupported('a{')).toEqual(['{']);
  });

  it('reports each character a single-character vocabulary lacks, once, in order of appearance', () => {
    const guard = CharsetGuard.fromVocabulary('spm', SINGLE_CHAR_VOCAB);
    expect(guard.restricted).toBe(true);
    expect(guard.unsupported('abc.\n!')).toEqual([]);
    expect(guard.unsupported('a{b}c{')).toEqual(['{', '}']);
    expect(guard.unsupported('The cat')).toEqual([]);
  });

  it('treats the SentencePiece word marker as a space', () => {
    const guard = CharsetGuard.fromVocabulary('spm', SINGLE_CHAR_VOCAB);
    expect(guard.unsupported('a b c')).toEqual([]);
    const noSpace = CharsetGuard.fromVocabulary(
      'spm',
      SINGLE_CHAR_VOCAB.filter((t) => t !== '\u2581'),
    );
    expect(noSpace.unsupported('a b')).toEqual([' ']);
  });

  it('does not take characters from multi-character pieces', () => {
    // '{x' is a piece, but '{' alone is not: llama.cpp cannot tokenize a lone '{'.
    const guard = CharsetGuard.fromVocabulary('spm', SINGLE_CHAR_VOCAB);
    expect(guard.unsupported('{')).toEqual(['{']);
    expect(guard.unsupported('x')).toEqual(['x']);
  });

  it('reports characters outside the BMP whole, not as surrogate halves', () => {
    const guard = CharsetGuard.fromVocabulary('spm', SINGLE_CHAR_VOCAB);
    expect(guard.unsupported('a😀b')).toEqual(['😀']);
    expect(guard.unsupported('é\t#')).toEqual(['é', '\t', '#']);
  });
});
