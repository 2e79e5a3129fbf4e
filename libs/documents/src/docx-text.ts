import mammoth from 'mammoth';
import { ExtractError } from './extract-error';

/** The raw text of a Word document (paragraphs separated by blank lines), through mammoth. */
export async function docxText(bytes: Buffer, filename: string): Promise<string> {
  try {
    const { value } = await mammoth.extractRawText({ buffer: bytes });
    return value;
  } catch (err) {
    throw new ExtractError('invalid_file', `${filename} is not a readable docx document: ${(err as Error).message}`);
  }
}
