import { csvText } from './csv-text';
import { decodeText, normalizeNewlines } from './decode-text';
import { detectFormat, type TextFormat } from './detect-format';
import { docxText } from './docx-text';
import { ExtractError, NO_TEXT } from './extract-error';
import { htmlText } from './html-text';
import { jsonText } from './json-text';
import { pdfText, type PdfTextOptions } from './pdf-text';

export interface ExtractInput {
  bytes: Buffer;
  filename: string;
  mimeType?: string | null;
}

export interface ExtractedText {
  /** The document's text, `\n` line ends, trimmed; chunk offsets refer to this string. */
  text: string;
  format: TextFormat;
}

export type ExtractOptions = PdfTextOptions;

/**
 * The plain text of an uploaded file. The format comes from the bytes (PDF and docx magic), the extension and the
 * mime type (see `detectFormat`). Throws `ExtractError`: `unsupported_file` for formats not read here (unknown
 * extensions, binary data, other zip archives), `invalid_file` for a broken file of a supported format or one with
 * no text in it.
 */
export async function extractText(input: ExtractInput, opts: ExtractOptions = {}): Promise<ExtractedText> {
  const { bytes, filename, mimeType } = input;
  const format = detectFormat(bytes, filename, mimeType);
  const raw = await extractFormat(format, bytes, filename, opts);
  const text = normalizeNewlines(raw).trim();
  if (text === '') throw new ExtractError('invalid_file', `${filename}: ${NO_TEXT}`);
  return { text, format };
}

function extractFormat(
  format: TextFormat,
  bytes: Buffer,
  filename: string,
  opts: ExtractOptions,
): Promise<string> | string {
  switch (format) {
    case 'txt':
    case 'md':
      return decodeText(bytes, filename);
    case 'html':
      return htmlText(bytes, filename);
    case 'json':
      return jsonText(decodeText(bytes, filename), filename, /\.(jsonl|ndjson)$/i.test(filename));
    case 'csv':
      return csvText(decodeText(bytes, filename), filename);
    case 'pdf':
      return pdfText(bytes, filename, opts);
    case 'docx':
      return docxText(bytes, filename);
  }
}
