/**
 * The vector store port: named collections of vectors of a fixed dimension, each vector with an id, a flat payload
 * and optionally its source text. Scores are cosine similarities (1 = same direction, 0 = unrelated, -1 = opposite).
 * Backends: LanceDB embedded in the process (`LanceDbVectorStore`, the default) and a Qdrant server
 * (`QdrantVectorStore`, when `QDRANT_URL` is set), chosen by `createVectorStore` (`VECTOR_STORE`); both pass
 * `describeVectorStoreConformance`. Others plug in behind the same interface.
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

/** A non-null payload value. */
export type ScalarValue = string | number | boolean;

/**
 * Operators on one payload field; every one given must hold. A null or absent field is "no value": it equals only
 * null, differs from every value (`$ne`, `$nin` match it) and is neither greater nor less than anything. A value of
 * another type than the field's is never equal to it (`$ne`/`$nin` match) and never ordered against it (`$gt` … do
 * not). `$gt`/`$gte`/`$lt`/`$lte` order numbers numerically and strings by code point.
 */
export interface FieldOperators {
  $eq?: PayloadValue;
  $ne?: PayloadValue;
  $gt?: string | number;
  $gte?: string | number;
  $lt?: string | number;
  $lte?: string | number;
  /** Any of the values (null: or no value); an empty list matches nothing. */
  $in?: readonly PayloadValue[];
  /** None of the values (null: and some value); an empty list matches everything. */
  $nin?: readonly PayloadValue[];
}

/** A field condition: a value (equality), a list (any of them, as `$in`) or operators. */
export type FieldCondition = PayloadValue | readonly PayloadValue[] | FieldOperators;

/**
 * Conditions on payload fields, all of which must hold. A value matches by equality (null: the field is null or
 * absent); an array matches any of its values (an empty array matches nothing); an object holds operators
 * (`FieldOperators`). A value of another type than the field's never matches. The keys `$and` and `$or` hold
 * sub-filters (all / at least one of them must hold; an empty `$or` matches nothing), beside the fields.
 */
export interface VectorFilter {
  readonly [field: string]: FieldCondition | readonly VectorFilter[] | undefined;
  readonly $and?: readonly VectorFilter[];
  readonly $or?: readonly VectorFilter[];
}

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
  /**
   * Sets payload fields of the records matching the filter (an empty filter is refused); a null value clears a
   * field. Vectors and text are kept. Returns how many records matched.
   */
  updateWhere(collection: string, filter: VectorFilter, payload: Payload): Promise<number>;
  /** Throws when the backend cannot be reached (readiness checks). */
  ping(): Promise<void>;
  /** Finishes pending writes and releases the backend. */
  close(): Promise<void>;
}
