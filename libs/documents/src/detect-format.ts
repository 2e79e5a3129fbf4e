import { extname } from 'node:path';
import { ExtractError } from './extract-error';

export type TextFormat = 'txt' | 'md' | 'html' | 'pdf' | 'json' | 'csv' | 'docx';

/** File extensions (lower case, with the dot) and the format each is read as. Source code and config files are text. */
const EXTENSIONS: Readonly<Record<string, TextFormat>> = {
  '.txt': 'txt',
  '.text': 'txt',
  '.log': 'txt',
  '.rst': 'txt',
  '.tex': 'txt',
  '.xml': 'txt',
  '.yaml': 'txt',
  '.yml': 'txt',
  '.toml': 'txt',
  '.ini': 'txt',
  '.c': 'txt',
  '.h': 'txt',
  '.cpp': 'txt',
  '.hpp': 'txt',
  '.cs': 'txt',
  '.css': 'txt',
  '.go': 'txt',
  '.java': 'txt',
  '.js': 'txt',
  '.mjs': 'txt',
  '.ts': 'txt',
  '.py': 'txt',
  '.rb': 'txt',
  '.php': 'txt',
  '.rs': 'txt',
  '.sh': 'txt',
  '.sql': 'txt',
  '.md': 'md',
  '.markdown': 'md',
  '.mdx': 'md',
  '.html': 'html',
  '.htm': 'html',
  '.xhtml': 'html',
  '.json': 'json',
  '.jsonl': 'json',
  '.ndjson': 'json',
  '.csv': 'csv',
  '.tsv': 'csv',
  '.pdf': 'pdf',
  '.docx': 'docx',
};

/** Every extension `extractText` accepts, lower case with the leading dot (`.pdf`). */
export const SUPPORTED_EXTENSIONS: readonly string[] = Object.freeze(Object.keys(EXTENSIONS));

const MIME_TYPES: Readonly<Record<string, TextFormat>> = {
  'text/plain': 'txt',
  'text/markdown': 'md',
  'text/x-markdown': 'md',
  'text/html': 'html',
  'application/xhtml+xml': 'html',
  'application/json': 'json',
  'application/x-ndjson': 'json',
  'application/jsonl': 'json',
  'text/csv': 'csv',
  'text/tab-separated-values': 'csv',
  'application/pdf': 'pdf',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'docx',
};

const PDF_MAGIC = Buffer.from('%PDF-', 'latin1');
const ZIP_MAGIC = Buffer.from('PK\x03\x04', 'latin1');
/** Zip entry names are stored uncompressed (local headers and central directory), so a docx names this part. */
const DOCX_PART = Buffer.from('word/document.xml', 'latin1');

export type Sniffed = 'pdf' | 'docx' | 'zip' | null;

/** What the first bytes say. PDF readers accept the header anywhere in the first 1024 bytes, and so does this. */
export function sniff(bytes: Buffer): Sniffed {
  if (bytes.subarray(0, 1024).includes(PDF_MAGIC)) return 'pdf';
  if (bytes.subarray(0, 4).equals(ZIP_MAGIC)) return bytes.includes(DOCX_PART) ? 'docx' : 'zip';
  return null;
}

/**
 * The format a file is read as. The content's magic bytes win (a PDF named `.txt` is a PDF); then the extension;
 * then the mime type (for names without a known extension); a name without any extension is read as text. A
 * declared PDF or docx whose bytes are not one is `invalid_file`; any other zip archive or unknown extension is
 * `unsupported_file`.
 */
export function detectFormat(bytes: Buffer, filename: string, mimeType?: string | null): TextFormat {
  const ext = extname(filename).toLowerCase();
  const mime = (mimeType ?? '').split(';')[0]!.trim().toLowerCase();
  const declared = EXTENSIONS[ext] ?? MIME_TYPES[mime];
  const sniffed = sniff(bytes);
  if (sniffed === 'pdf' || sniffed === 'docx') return sniffed;
  if (sniffed === 'zip') {
    if (declared === 'docx')
      throw new ExtractError('invalid_file', `${filename} is a zip archive but not a docx document`);
    throw new ExtractError(
      'unsupported_file',
      `${filename} is a zip archive (${ext || 'no extension'}), which is not supported`,
    );
  }
  if (declared === 'pdf') throw new ExtractError('invalid_file', `${filename} is not a PDF (no %PDF- header)`);
  if (declared === 'docx')
    throw new ExtractError('invalid_file', `${filename} is not a docx document (not a zip archive)`);
  if (declared) return declared;
  if (ext === '') return 'txt';
  throw new ExtractError(
    'unsupported_file',
    `files of type ${ext} are not supported; supported: ${SUPPORTED_EXTENSIONS.join(' ')}`,
  );
}
