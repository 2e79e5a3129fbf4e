import { contentDisposition } from './content-disposition';

describe('contentDisposition', () => {
  it('keeps a plain name as is', () => {
    expect(contentDisposition('notes.md')).toBe(`attachment; filename="notes.md"; filename*=UTF-8''notes.md`);
  });

  it('cannot be broken by quotes, line breaks or non-ASCII names', () => {
    const header = contentDisposition('a"b\r\nSet-Cookie: x=1 é.pdf');
    expect(header).not.toMatch(/[\r\n]/);
    expect(header).toContain('filename="a_b__Set-Cookie: x=1 _.pdf"');
    expect(header).toContain(`filename*=UTF-8''a%22b%0D%0ASet-Cookie%3A%20x%3D1%20%C3%A9.pdf`);
  });
});
