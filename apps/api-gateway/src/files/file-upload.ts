import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { FileExpiresAfterSchema, FilePurposeSchema } from '@llmp/contracts';
import { ApiError, ApiErrorCode, apiErrorFromZod } from '@llmp/platform';

/** The form fields of `POST /v1/files` beside the file (`expires_after` as `expires_after[anchor|seconds]`). */
export const UploadFieldsSchema = z.object({
  purpose: FilePurposeSchema,
  expires_after: FileExpiresAfterSchema.optional(),
});

export interface FileUpload {
  filename: string;
  /** The part's content type, when the client sent a specific one. */
  mimeType?: string;
  bytes: Buffer;
  fields: z.output<typeof UploadFieldsSchema>;
}

/** Form fields other than the file: few and short (OpenAI's form has three). */
const FIELD_LIMITS = { fields: 16, fieldSize: 16 * 1024, parts: 20 };
const NESTED_FIELD = /^([a-z_]+)\[([a-z_]+)\]$/;
/** What clients send when they know no better; the rag service then guesses from the file name. */
const GENERIC_MIME_TYPES = new Set(['', 'application/octet-stream']);

/**
 * Reads the multipart form of an upload: one `file` part (buffered, at most `maxBytes`: beyond it a 413 naming
 * `file`) and the fields, validated like a JSON body (400 naming the field).
 */
export async function readFileUpload(req: FastifyRequest, maxBytes: number): Promise<FileUpload> {
  if (!req.isMultipart()) {
    throw new ApiError(
      ApiErrorCode.InvalidRequest,
      "The request must be multipart/form-data with a 'file' part and a 'purpose' field.",
    );
  }
  const raw: Record<string, unknown> = {};
  let file: Omit<FileUpload, 'fields'> | null = null;
  try {
    for await (const part of req.parts({ limits: { ...FIELD_LIMITS, files: 1, fileSize: maxBytes } })) {
      if (part.type === 'file') {
        if (part.fieldname !== 'file') {
          part.file.resume();
          throw new ApiError(ApiErrorCode.InvalidRequest, `Unexpected file field '${part.fieldname}'.`, part.fieldname);
        }
        const bytes = await part.toBuffer();
        const mimeType = GENERIC_MIME_TYPES.has(part.mimetype) ? undefined : part.mimetype;
        file = { filename: part.filename, mimeType, bytes };
        continue;
      }
      setField(raw, part.fieldname, part.value);
    }
  } catch (err) {
    throw uploadError(err, maxBytes);
  }
  if (!file) throw new ApiError(ApiErrorCode.InvalidRequest, "Missing required parameter: 'file'.", 'file');
  if (!file.filename) throw new ApiError(ApiErrorCode.InvalidRequest, "The 'file' part needs a filename.", 'file');
  if (raw.purpose === undefined) {
    throw new ApiError(ApiErrorCode.InvalidRequest, "Missing required parameter: 'purpose'.", 'purpose');
  }
  const fields = UploadFieldsSchema.safeParse(raw);
  if (!fields.success) throw apiErrorFromZod(fields.error);
  return { ...file, fields: fields.data };
}

function setField(raw: Record<string, unknown>, name: string, value: unknown): void {
  const nested = NESTED_FIELD.exec(name);
  if (!nested) {
    raw[name] = value;
    return;
  }
  const [, outer, inner] = nested as unknown as [string, string, string];
  const obj = (raw[outer] ??= {}) as Record<string, unknown>;
  if (typeof obj === 'object' && obj !== null) obj[inner] = value;
}

function uploadError(err: unknown, maxBytes: number): unknown {
  if (err instanceof ApiError) return err;
  switch ((err as { code?: unknown })?.code) {
    case 'FST_REQ_FILE_TOO_LARGE':
      return new ApiError(
        ApiErrorCode.PayloadTooLarge,
        `The file is too large: the largest upload accepted is ${maxBytes} bytes.`,
        'file',
      );
    case 'FST_FILES_LIMIT':
      return new ApiError(ApiErrorCode.InvalidRequest, 'Upload one file per request.', 'file');
    case 'FST_FIELDS_LIMIT':
    case 'FST_PARTS_LIMIT':
      return new ApiError(ApiErrorCode.InvalidRequest, 'The form has too many fields.');
    case 'FST_PROTO_VIOLATION':
      return new ApiError(ApiErrorCode.InvalidRequest, (err as Error).message);
    default:
      return err;
  }
}
