import { createHash } from 'node:crypto';
import type { AttributeValue, Attributes } from '@llmp/contracts';
import type { Payload } from '@llmp/platform';

/**
 * How chunks live in the vector store. One collection per embedding model (`rag_chunks_<model>`: each model has its
 * own dimension); a record per chunk under the chunk's id with payload `{user_id, vector_store_id, file_id,
 * chunk_index}` and one field per attribute of its vector store file. Attribute keys are free text and their values
 * of any of three types, while payload fields are snake_case names of one type: an attribute `key` with a value of
 * type t is stored as `attr_<t>_<first 24 hex of sha1(key)>` (t = s, n, b), so a filter on a key finds the field of
 * its value's type.
 */
export function chunkCollection(model: string): string {
  const name = `rag_chunks_${model.toLowerCase().replace(/[^a-z0-9_]/g, '_')}`;
  return name.slice(0, 63);
}

export type AttributeType = 's' | 'n' | 'b';

export function attributeType(value: AttributeValue): AttributeType {
  return typeof value === 'string' ? 's' : typeof value === 'number' ? 'n' : 'b';
}

export function attributeField(key: string, type: AttributeType): string {
  return `attr_${type}_${createHash('sha1').update(key).digest('hex').slice(0, 24)}`;
}

/** The payload fields of a file's attributes. */
export function attributesPayload(attributes: Attributes | null): Payload {
  const out: Payload = {};
  for (const [key, value] of Object.entries(attributes ?? {})) out[attributeField(key, attributeType(value))] = value;
  return out;
}

/** The payload that replaces `before` attributes by `after` ones (old fields cleared, new ones set). */
export function attributesChange(before: Attributes | null, after: Attributes | null): Payload {
  const out: Payload = {};
  for (const field of Object.keys(attributesPayload(before))) out[field] = null;
  return { ...out, ...attributesPayload(after) };
}

export interface ChunkVectorPayload extends Payload {
  user_id: string;
  vector_store_id: string;
  file_id: string;
  chunk_index: number;
}
