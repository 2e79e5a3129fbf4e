import { createHash, randomBytes } from 'node:crypto';

/** An opaque id in OpenAI's style: the prefix and 48 random hex characters (`file-…`, `vs_…`). */
export function newId(prefix: string): string {
  return `${prefix}${randomBytes(24).toString('hex')}`;
}

/**
 * The id of chunk `index` of a file in a vector store: the same for a retried job or a second attach, so each chunk
 * is stored once (upsert by id in Postgres and in the vector store).
 */
export function chunkId(vectorStoreId: string, fileId: string, index: number): string {
  return createHash('sha256').update(`${vectorStoreId}\n${fileId}\n${index}`).digest('hex').slice(0, 40);
}

export function unixSeconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}

export function unixSecondsOrNull(date: Date | null): number | null {
  return date ? unixSeconds(date) : null;
}
