import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ExtractError, SUPPORTED_EXTENSIONS, extractText } from './index';

const fixtures = join(__dirname, '../test/fixtures');
const fixture = (name: string): Buffer => readFileSync(join(fixtures, name));
const extract = (content: string | Buffer, filename: string, mimeType?: string) =>
  extractText({ bytes: Buffer.isBuffer(content) ? content : Buffer.from(content, 'utf8'), filename, mimeType });

async function failure(promise: Promise<unknown>): Promise<ExtractError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ExtractError);
  return err as ExtractError;
}

describe('extractText', () => {
  it('reads UTF-8 text and markdown, dropping a BOM and normalising line ends', async () => {
    await expect(extract('\uFEFFhéllo\r\nwörld\r\n', 'a.txt')).resolves.toEqual({
      text: 'héllo\nwörld',
      format: 'txt',
    });
    await expect(extract('# Title\n\nBody *text*.', 'notes.md')).resolves.toEqual({
      text: '# Title\n\nBody *text*.',
      format: 'md',
    });
  });

  it('reads UTF-16 text with a BOM', async () => {
    const bytes = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('grüße', 'utf16le')]);
    await expect(extract(bytes, 'w.txt')).resolves.toEqual({ text: 'grüße', format: 'txt' });
  });

  it('refuses invalid UTF-8 and NUL bytes as unsupported binary files', async () => {
    expect((await failure(extract(Buffer.from([0x68, 0xff, 0xfe, 0x69]), 'bad.txt'))).code).toBe('unsupported_file');
    const nul = await failure(extract(Buffer.from('abc\u0000def'), 'bin.txt'));
    expect(nul.code).toBe('unsupported_file');
    expect(nul.message).toMatch(/NUL/);
  });

  it('gives the readable text of HTML, without scripts, styles or markup', async () => {
    const html = `<!doctype html><html><head><title>T</title><style>p { color: red }</style>
      <script>window.secret = 1</script></head><body><h1>Opening hours</h1>
      <p>Open <b>daily</b> from <a href="https://x.test">nine</a>.</p>
      <table><tr><th>Day</th><th>Hours</th></tr><tr><td>Sunday</td><td>closed</td></tr></table></body></html>`;
    const { text, format } = await extract(html, 'page.html');
    expect(format).toBe('html');
    expect(text).toContain('Opening hours');
    expect(text).toContain('Open daily from nine.');
    expect(text).toMatch(/Sunday\s+closed/);
    expect(text).not.toMatch(/secret|color|<|https/);
  });

  it('honours an HTML meta charset', async () => {
    const bytes = Buffer.from('<meta charset="windows-1252"><p>caf\xe9</p>', 'latin1');
    await expect(extract(bytes, 'old.htm')).resolves.toEqual({ text: 'café', format: 'html' });
  });

  it('flattens JSON into path: value lines', async () => {
    const doc = { title: 'Menu', tags: ['soup', 'bread'], items: [{ name: 'Leek soup', price: 4.5 }], 'odd key': null };
    const { text, format } = await extract(JSON.stringify(doc), 'menu.json');
    expect(format).toBe('json');
    expect(text.split('\n')).toEqual([
      'title: Menu',
      'tags: soup, bread',
      'items[0].name: Leek soup',
      'items[0].price: 4.5',
      '["odd key"]: null',
    ]);
  });

  it('reads JSON Lines one document per line', async () => {
    const { text } = await extract('{"q":"a"}\n\n{"q":"b"}\n', 'log.jsonl');
    expect(text).toBe('[0].q: a\n[2].q: b');
  });

  it('rejects malformed JSON as invalid_file', async () => {
    const err = await failure(extract('{"a": ', 'broken.json'));
    expect(err.code).toBe('invalid_file');
    expect(err.message).toMatch(/broken\.json is not valid JSON/);
  });

  it('turns CSV rows into header: value lines, with quoted cells and other delimiters', async () => {
    const csv = 'name,city,note\r\nAda,London,"likes ""maths"", tea"\r\nAlan,,Bletchley\r\n';
    await expect(extract(csv, 'people.csv')).resolves.toEqual({
      text: 'name: Ada, city: London, note: likes "maths", tea\nname: Alan, note: Bletchley',
      format: 'csv',
    });
    await expect(extract('a;b\n1;2\n', 'semi.csv')).resolves.toMatchObject({ text: 'a: 1, b: 2' });
    await expect(extract('a\tb\n1\t2\n', 'tabs.tsv')).resolves.toMatchObject({ text: 'a: 1, b: 2' });
  });

  it('rejects malformed CSV as invalid_file', async () => {
    expect((await failure(extract('a,b\n"unterminated,1\n', 'bad.csv'))).code).toBe('invalid_file');
  });

  it('extracts the text of every page of a PDF, pages separated by a blank line', async () => {
    const { text, format } = await extract(fixture('sample.pdf'), 'report.pdf', 'application/pdf');
    expect(format).toBe('pdf');
    const pages = text.split('\n\n');
    expect(pages).toHaveLength(2);
    expect(pages[0]).toContain('The north beacon was repaired in March.');
    expect(pages[1]).toContain('The Aurora delivered oil and bread.');
  });

  it('sniffs a PDF by its magic bytes whatever the name says', async () => {
    await expect(extract(fixture('sample.pdf'), 'upload.bin')).resolves.toMatchObject({ format: 'pdf' });
    await expect(extract(fixture('sample.pdf'), 'noext')).resolves.toMatchObject({ format: 'pdf' });
  });

  it('rejects a corrupt PDF and a .pdf that is not one as invalid_file', async () => {
    const corrupt = await failure(extract(Buffer.from('%PDF-1.7\n1 0 obj garbage'), 'c.pdf'));
    expect(corrupt.code).toBe('invalid_file');
    expect(corrupt.message).toMatch(/c\.pdf is not a readable PDF/);
    expect((await failure(extract('just text', 'fake.pdf'))).code).toBe('invalid_file');
  });

  it('rejects a PDF without a text layer: no text could be extracted', async () => {
    const blank = fixture('sample.pdf')
      .toString('latin1')
      .replace(/\(([^)]*)\) Tj/g, (_m, s: string) => `(${' '.repeat(s.length)}) Tj`);
    const err = await failure(extract(Buffer.from(blank, 'latin1'), 'scan.pdf'));
    expect(err.code).toBe('invalid_file');
    expect(err.message).toMatch(/no text could be extracted/);
  });

  it('extracts the raw text of a docx', async () => {
    await expect(extract(fixture('sample.docx'), 'garden.docx')).resolves.toEqual({
      text: 'Garden handbook\n\nTomatoes need six hours of sun.\n\nWater the basil every morning.',
      format: 'docx',
    });
  });

  it('rejects a corrupt docx as invalid_file and other zip archives as unsupported_file', async () => {
    const docx = fixture('sample.docx');
    const truncated = docx.subarray(0, Math.floor(docx.length * 0.6));
    expect((await failure(extract(truncated, 'cut.docx'))).code).toBe('invalid_file');
    expect((await failure(extract('plain text', 'fake.docx'))).code).toBe('invalid_file');
    const zip = Buffer.concat([Buffer.from('PK\x03\x04', 'latin1'), Buffer.alloc(40, 1)]);
    expect((await failure(extract(zip, 'sheet.xlsx'))).code).toBe('unsupported_file');
  });

  it('rejects unknown extensions as unsupported_file, and uses the mime type for names without a known one', async () => {
    const err = await failure(extract('MZ....', 'setup.exe'));
    expect(err.code).toBe('unsupported_file');
    expect(err.message).toMatch(/\.exe are not supported/);
    await expect(extract('{"a":1}', 'data.weird', 'application/json; charset=utf-8')).resolves.toEqual({
      text: 'a: 1',
      format: 'json',
    });
    await expect(extract('plain', 'README')).resolves.toEqual({ text: 'plain', format: 'txt' });
  });

  it('rejects files with nothing to read: no text could be extracted', async () => {
    for (const [content, name] of [
      ['  \n\t ', 'empty.txt'],
      ['<html><script>x()</script></html>', 'empty.html'],
      ['[]', 'empty.json'],
      ['', 'empty.csv'],
    ] as const) {
      const err = await failure(extract(content, name));
      expect(err.code).toBe('invalid_file');
      expect(err.message).toBe(`${name}: no text could be extracted`);
    }
  });

  it('lists the supported extensions', () => {
    expect(SUPPORTED_EXTENSIONS).toEqual(
      expect.arrayContaining(['.txt', '.md', '.html', '.pdf', '.json', '.csv', '.docx']),
    );
  });
});
