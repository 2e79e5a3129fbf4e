import { ExtractError } from './extract-error';

/**
 * Bytes to a string for the text formats: UTF-8 (a BOM is dropped), or UTF-16 when a UTF-16 BOM says so. Invalid
 * UTF-8 or a NUL character means the file is not text: `unsupported_file`. `charset` (from an HTML meta tag) names
 * another encoding that TextDecoder knows. Line ends become `\n`.
 */
export function decodeText(bytes: Buffer, filename: string, charset?: string): string {
  let encoding = 'utf-8';
  if (bytes[0] === 0xff && bytes[1] === 0xfe) encoding = 'utf-16le';
  else if (bytes[0] === 0xfe && bytes[1] === 0xff) encoding = 'utf-16be';
  else if (charset && !/^utf-?8$/i.test(charset)) encoding = charset;
  let text: string;
  try {
    // ignoreBOM: false (the default) strips the BOM of the chosen encoding.
    text = new TextDecoder(encoding, { fatal: true }).decode(bytes);
  } catch (err) {
    if (err instanceof RangeError) {
      // An unknown charset label: fall back to UTF-8 rather than reject the file.
      return decodeText(bytes, filename);
    }
    throw new ExtractError('unsupported_file', `${filename} is not valid ${encoding} text (binary file?)`);
  }
  if (text.includes('\u0000')) {
    throw new ExtractError('unsupported_file', `${filename} contains NUL bytes: a binary file, not text`);
  }
  return normalizeNewlines(text);
}

export function normalizeNewlines(text: string): string {
  return text.replace(/\r\n?/g, '\n');
}
