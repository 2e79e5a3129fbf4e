/** DI token of the `VectorStore` the `VectorStoreModule` provides. */
export const VECTOR_STORE = Symbol('VECTOR_STORE');
