import schemas from './structured-schemas.json';

/**
 * JSON schemas that exercise every construct the decoding grammar supports (integers, numbers, enums, nested
 * arrays, nullable unions, date/time formats, $defs references), shared by the tools e2e suite's validity tests
 * and `npm run bench -- tools` (which reads the JSON file).
 */
export const STRUCTURED_SCHEMAS: Record<string, Record<string, unknown>> = schemas;
