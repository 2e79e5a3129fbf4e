import { convert, type HtmlToTextOptions } from 'html-to-text';
import { decodeText } from './decode-text';

const OPTIONS: HtmlToTextOptions = {
  wordwrap: false,
  // script, style and head contents are never output by html-to-text; links keep their text, images are dropped.
  selectors: [
    { selector: 'a', options: { ignoreHref: true } },
    { selector: 'img', format: 'skip' },
    { selector: 'table', format: 'dataTable', options: { uppercaseHeaderCells: false } },
    ...['h1', 'h2', 'h3', 'h4', 'h5', 'h6'].map((selector) => ({ selector, options: { uppercase: false } })),
  ],
};

/** Readable text of an HTML page (the charset of a `<meta charset>` tag is honoured; UTF-8 otherwise). */
export function htmlText(bytes: Buffer, filename: string): string {
  const head = bytes.subarray(0, 2048).toString('latin1');
  const charset = /<meta[^>]+charset\s*=\s*["']?([\w-]+)/i.exec(head)?.[1];
  return convert(decodeText(bytes, filename, charset), OPTIONS);
}
