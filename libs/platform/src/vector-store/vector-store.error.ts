export enum VectorStoreErrorCode {
  /** A collection name, payload field, vector or option the store cannot take. */
  InvalidArgument = 'invalid_argument',
  /** A vector (or an existing collection) of another dimension than the collection's. */
  DimensionMismatch = 'dimension_mismatch',
  /** Writing to a collection that was never created. */
  UnknownCollection = 'unknown_collection',
}

/** A caller's mistake with the vector store; failures of the backend itself surface as its own errors. */
export class VectorStoreError extends Error {
  override readonly name = 'VectorStoreError';

  constructor(
    readonly code: VectorStoreErrorCode,
    message: string,
  ) {
    super(message);
  }
}
