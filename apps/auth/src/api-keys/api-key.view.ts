import type { ApiKeyView, Role } from '@llmp/contracts';
import { unixSeconds, unixSecondsOrNull } from '../common/ids';
import { keyScopes } from '../users/scopes';
import type { ApiKeyEntity } from './api-key.entity';

/** The public view of a key: never its secret or hash. `role`: its user's, for the scopes it holds now. */
export function toApiKeyView(key: ApiKeyEntity, role: Role): ApiKeyView {
  return {
    id: key.id,
    object: 'api_key',
    name: key.name,
    prefix: key.prefix,
    models: key.models,
    rpm: key.rpm,
    tpm: key.tpm,
    expires_at: unixSecondsOrNull(key.expiresAt),
    permissions: key.permissions,
    scopes: keyScopes(key, role),
    last_used_at: unixSecondsOrNull(key.lastUsedAt),
    created_at: unixSeconds(key.createdAt),
  };
}
