import { PayloadFieldType, checkName, payloadFieldType } from './lancedb-filter';
import type { Payload } from './vector-store';
import { VectorStoreError, VectorStoreErrorCode } from './vector-store.error';

/**
 * The payload fields `payloads` bring that `known` lacks, with their types; throws `invalid_argument` for a bad name,
 * a non-finite number, a value that is no string, number, boolean or null, or a value whose type differs from the
 * field's (known or first seen here). Every backend stores a field with the type of its first non-null value.
 */
export function newPayloadFields(
  collection: string,
  known: ReadonlyMap<string, PayloadFieldType>,
  payloads: readonly Payload[],
): Map<string, PayloadFieldType> {
  const added = new Map<string, PayloadFieldType>();
  for (const payload of payloads) {
    for (const [field, value] of Object.entries(payload)) {
      checkName('payload field', field);
      if (typeof value === 'number' && !Number.isFinite(value)) {
        throw new VectorStoreError(VectorStoreErrorCode.InvalidArgument, `payload field ${field} is not finite`);
      }
      const type = payloadFieldType(value);
      if (value !== null && type === null) {
        throw new VectorStoreError(
          VectorStoreErrorCode.InvalidArgument,
          `payload field ${field} must be a string, number, boolean or null`,
        );
      }
      if (type === null) continue;
      const expected = known.get(field) ?? added.get(field);
      if (expected && expected !== type) {
        throw new VectorStoreError(
          VectorStoreErrorCode.InvalidArgument,
          `payload field ${field} of collection ${collection} holds ${expected} values, not ${type}`,
        );
      }
      if (!expected) added.set(field, type);
    }
  }
  return added;
}
