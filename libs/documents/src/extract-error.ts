/**
 * Why a file yields no text. The codes are the `last_error.code` values of OpenAI's vector store files:
 * `unsupported_file` (a format this service does not read), `invalid_file` (a supported format, but broken or empty).
 */
export type ExtractErrorCode = 'unsupported_file' | 'invalid_file';

export class ExtractError extends Error {
  override readonly name = 'ExtractError';

  constructor(
    readonly code: ExtractErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export const NO_TEXT = 'no text could be extracted';
