/**
 * The vector store port: named collections of vectors of a fixed dimension, each vector with an id, a flat payload
 * and optionally its source text. Scores are cosine similarities (1 = same direction, 0 = unrelated, -1 = opposite).
 * Backends: LanceDB embedded in the process (`LanceDbVectorStore`, the default); others plug in behind the same
 * interface through `createVectorStore` (`VECTOR_STORE`).
 */
export type PayloadValue = string | number | boolean | null;
export type Payload = Record<string, PayloadValue>;

export type VectorLike = Float32Array | readonly number[];

export interface VectorRecord {
  /** Unique within the collection; upserting an existing id replaces the record. */
  id: string;
  vector: VectorLike;
  /**
   * Flat fields to filter on and to read back. Names are lower snake_case (`user_id`); a field keeps the type of its
   * first non-null value (string, number or boolean). A null value and an absent field are the same thing.
   */
  payload: Payload;
  text?: string;
}

/**
 * Conditions on payload fields, all of which must hold. A value matches by equality (null: the field is null or
 * absent); an array matches any of its values (an empty array matches nothing). A value of another type than the
 * field's never matches.
 */
export type VectorFilter = Record<string, PayloadValue | readonly PayloadValue[]>;

export interface VectorSearchOptions {
  /** Most hits returned (1..1000). */
  k: number;
  filter?: VectorFilter;
  /** Records never returned, whatever their score. */
  excludeIds?: readonly string[];
  /** Hits below this cosine similarity are left out. */
  minScore?: number;
}

export interface VectorSearchHit {
  id: string;
  /** Cosine similarity to the query vector. */
  score: number;
  /** The record's non-null payload fields. */
  payload: Payload;
  text: string | null;
}

export interface VectorStore {
  /**
   * Creates the collection if it does not exist (safe to call from several processes at once). An existing one must
   * have the same dimension, else `dimension_mismatch`.
   */
  ensureCollection(name: string, dims: number): Promise<void>;
  /** Inserts or replaces records by id. The collection must exist; every vector must have its dimension. */
  upsert(collection: string, records: readonly VectorRecord[]): Promise<void>;
  /**
   * The `k` records nearest the vector by cosine similarity, best first, among those matching the filter. A
   * collection that does not exist, or a zero query vector, has no hits.
   */
  search(collection: string, vector: VectorLike, options: VectorSearchOptions): Promise<VectorSearchHit[]>;
  /** Deletes the records whose payload matches the filter (an empty filter is refused); returns how many. */
  deleteWhere(collection: string, filter: VectorFilter): Promise<number>;
  deleteIds(collection: string, ids: readonly string[]): Promise<number>;
  /** Throws when the backend cannot be reached (readiness checks). */
  ping(): Promise<void>;
  /** Finishes pending writes and releases the backend. */
  close(): Promise<void>;
}
