export { SUPPORTED_EXTENSIONS, detectFormat, type TextFormat } from './detect-format';
export { ExtractError, type ExtractErrorCode } from './extract-error';
export { extractText, type ExtractInput, type ExtractOptions, type ExtractedText } from './extract-text';
