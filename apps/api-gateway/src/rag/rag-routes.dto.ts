import { z } from 'zod';
import {
  AttributeFilter,
  AttributeFilterSchema,
  AttributeValueSchema,
  AttributesSchema,
  MAX_SEARCH_QUERY_CHARS,
} from '@llmp/contracts';

/** Texts one `POST /v1/rag/documents` may store. */
export const MAX_DOCUMENTS_PER_REQUEST = 100;
/** Characters of one document given as text (larger documents go through `/v1/files`). */
export const MAX_DOCUMENT_CHARS = 1_000_000;

/**
 * `POST /v1/rag/documents`: each text becomes a file (`doc-N.txt`, purpose `assistants`) attached to the caller's
 * default vector store, `metadata` (one object for all, or one per text) as its attributes. `wait: true` answers
 * once every document is indexed (or failed) instead of at once with `in_progress`.
 */
export const RagDocumentsBodySchema = z
  .object({
    texts: z.array(z.string().min(1).max(MAX_DOCUMENT_CHARS)).min(1).max(MAX_DOCUMENTS_PER_REQUEST),
    metadata: z
      .union([AttributesSchema, z.array(AttributesSchema.nullable())])
      .nullable()
      .optional(),
    wait: z.boolean().optional(),
  })
  .strict()
  .refine((b) => !Array.isArray(b.metadata) || b.metadata.length === b.texts.length, {
    message: 'metadata given as a list needs one entry per text',
    path: ['metadata'],
  });
export type RagDocumentsBody = z.infer<typeof RagDocumentsBodySchema>;

/**
 * The seeds' `filter`: OpenAI's attribute filter (`{type: 'eq', key, value}`, `{type: 'and', filters}`), or the
 * short form `{key: value, …}` meaning every key equals its value (a list value: the key is one of them).
 */
export const RagFilterSchema = z.union([
  AttributeFilterSchema,
  z
    .record(z.string().min(1).max(64), z.union([AttributeValueSchema, z.array(z.union([z.string(), z.number()]))]))
    .refine((f) => !('type' in f), { message: 'a filter with a type must be an OpenAI comparison or compound filter' })
    .transform((f): AttributeFilter | undefined => {
      const filters = Object.entries(f).map(([key, value]) =>
        Array.isArray(value) ? { type: 'in' as const, key, value } : { type: 'eq' as const, key, value },
      );
      if (filters.length === 0) return undefined;
      return filters.length === 1 ? filters[0] : { type: 'and', filters };
    }),
]);

/** `POST /v1/rag/search` on the caller's default vector store. */
export const RagSearchBodySchema = z
  .object({
    query: z.string().min(1).max(MAX_SEARCH_QUERY_CHARS),
    limit: z.number().int().min(1).max(50).default(5),
    score_threshold: z.number().min(0).max(1).default(0),
    filter: RagFilterSchema.nullable().optional(),
  })
  .strict();
export type RagSearchBody = z.infer<typeof RagSearchBodySchema>;

/**
 * `POST /v1/rag/chat`: answers `query` from the default vector store's `num_context_docs` best passages, numbered
 * in the prompt and cited as [n]. `model` defaults to the first chat model the caller may use.
 */
export const RagChatBodySchema = z
  .object({
    query: z.string().min(1).max(MAX_SEARCH_QUERY_CHARS),
    model: z.string().min(1).optional(),
    max_tokens: z.number().int().positive().optional(),
    temperature: z.number().min(0).max(2).optional(),
    num_context_docs: z.number().int().min(1).max(20).default(3),
    score_threshold: z.number().min(0).max(1).default(0),
    filter: RagFilterSchema.nullable().optional(),
    stream: z.boolean().optional(),
    conversation_id: z.string().min(1).max(128).optional(),
  })
  .strict();
export type RagChatBody = z.infer<typeof RagChatBodySchema>;
