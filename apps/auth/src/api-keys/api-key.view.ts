import type { ApiKeyView } from '@llmp/contracts';
import { unixSeconds, unixSecondsOrNull } from '../common/ids';
import type { ApiKeyEntity } from './api-key.entity';

/** The public view of a key: never its secret or hash. */
export function toApiKeyView(key: ApiKeyEntity): ApiKeyView {
  return {
    id: key.id,
    object: 'api_key',
    name: key.name,
    prefix: key.prefix,
    models: key.models,
    rpm: key.rpm,
    tpm: key.tpm,
    expires_at: unixSecondsOrNull(key.expiresAt),
    last_used_at: unixSecondsOrNull(key.lastUsedAt),
    created_at: unixSeconds(key.createdAt),
  };
}
