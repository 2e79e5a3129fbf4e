import type { Limits, Principal } from '@llmp/contracts';
import type { ApiKeyEntity } from '../api-keys/api-key.entity';
import { keyScopes, userScopes } from './scopes';
import type { UserEntity } from './user.entity';

export interface LimitDefaults {
  /** Applied to users without limits of their own. */
  user: { rpm: number | null; tpm: number | null };
  /** Applied to keys without limits of their own; null = only the user's limits apply. */
  key: { rpm: number | null; tpm: number | null };
}

/** The user's own limits, or the platform defaults for the ones not set. */
export function userLimits(user: UserEntity, defaults: LimitDefaults): Limits {
  return { rpm: user.rpmLimit ?? defaults.user.rpm, tpm: user.tpmLimit ?? defaults.user.tpm };
}

export function budgetOf(user: UserEntity): number | null {
  return user.monthlyBudget === null || user.monthlyBudget === undefined ? null : Number(user.monthlyBudget);
}

/** A JWT caller: no key, every model, only the user's limits, the user's scopes. Null for a disabled user. */
export function userPrincipal(user: UserEntity, defaults: LimitDefaults): Principal | null {
  if (user.disabledAt) return null;
  return {
    userId: user.id,
    username: user.username,
    role: user.role,
    keyId: null,
    models: null,
    keyLimits: null,
    monthlyBudget: budgetOf(user),
    userLimits: userLimits(user, defaults),
    expiresAt: null,
    scopes: userScopes(user.role),
  };
}

/** An API-key caller. Null when the key is revoked or expired, or its user is disabled. */
export function keyPrincipal(
  user: UserEntity,
  key: ApiKeyEntity,
  defaults: LimitDefaults,
  now: Date = new Date(),
): Principal | null {
  if (user.disabledAt || key.revokedAt || (key.expiresAt && key.expiresAt <= now)) return null;
  return {
    userId: user.id,
    username: user.username,
    role: user.role,
    keyId: key.id,
    models: key.models,
    keyLimits: { rpm: key.rpm ?? defaults.key.rpm, tpm: key.tpm ?? defaults.key.tpm },
    monthlyBudget: budgetOf(user),
    userLimits: userLimits(user, defaults),
    expiresAt: key.expiresAt ? Math.floor(key.expiresAt.getTime() / 1000) : null,
    scopes: keyScopes(key, user.role),
  };
}
