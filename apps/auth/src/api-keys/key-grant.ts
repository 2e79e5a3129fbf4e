import { AuthErrorCode, CreateApiKeyRequest, Limits, Role, SCOPES, Scope } from '@llmp/contracts';
import { AuthError } from '../errors/auth.error';
import { keyScopes, userScopes } from '../users/scopes';

/** The API key a creation request was authenticated with, as it stands now. */
export interface CreatorKey {
  /** Its effective scopes (Principal.scopes). */
  scopes: Scope[];
  /** Models it may use; null: all. */
  models: string[] | null;
  /** Its effective key limits (defaults applied); null: unlimited. */
  limits: Limits;
  expiresAt: Date | null;
}

/** What is stored for a new key. */
export interface KeyGrant {
  permissions: CreateApiKeyRequest['permissions'];
  scopes: Scope[] | null;
  models: string[] | null;
  rpm: number | null;
  tpm: number | null;
  expiresAt: Date | null;
}

/**
 * Resolves a key creation request into what the new key gets, refusing with permission_denied (naming the field)
 * whatever would let the new key do more than its creator: a restricted scope the user lacks (`admin` for a
 * non-admin), and, when a key creates the key (`creator` set), a missing `api_keys.write`, scopes beyond the
 * creator's, models outside its list, higher limits or a later expiry. Fields absent from the request inherit the
 * creator's models, limits and expiry; null asks for "none" and is refused when the creator has one.
 */
export function resolveKeyGrant(req: CreateApiKeyRequest, role: Role, creator: CreatorKey | null): KeyGrant {
  const scopes = req.permissions === 'restricted' ? SCOPES.filter((s) => req.scopes?.includes(s)) : null;
  const beyondUser = (scopes ?? []).filter((s) => !userScopes(role).includes(s));
  if (beyondUser.length > 0) {
    throw denied(`scopes: this user cannot hold ${list(beyondUser)}.`, 'scopes');
  }
  const expiresAt = req.expires_at ? new Date(req.expires_at * 1000) : req.expires_at === null ? null : undefined;
  if (!creator) {
    return {
      permissions: req.permissions,
      scopes,
      models: req.models ?? null,
      rpm: req.rpm ?? null,
      tpm: req.tpm ?? null,
      expiresAt: expiresAt ?? null,
    };
  }

  if (!creator.scopes.includes('api_keys.write')) {
    throw denied('This API key lacks the api_keys.write scope, which creating API keys requires.', null);
  }
  const wanted = keyScopes({ permissions: req.permissions, scopes }, role);
  const beyondCreator = wanted.filter((s) => !creator.scopes.includes(s));
  if (beyondCreator.length > 0) {
    const field = req.permissions === 'restricted' ? 'scopes' : 'permissions';
    throw denied(
      `${field}: the new key would hold ${list(beyondCreator)}, which the API key making this request lacks; ` +
        `ask for permissions 'restricted' with scopes among ${list(creator.scopes)}.`,
      field,
    );
  }
  return {
    permissions: req.permissions,
    scopes,
    models: narrowModels(req.models, creator.models),
    rpm: narrowLimit('rpm', req.rpm, creator.limits.rpm),
    tpm: narrowLimit('tpm', req.tpm, creator.limits.tpm),
    expiresAt: narrowExpiry(expiresAt, creator.expiresAt),
  };
}

function narrowModels(requested: string[] | null | undefined, creator: string[] | null): string[] | null {
  if (creator === null) return requested ?? null;
  if (requested === undefined) return creator;
  if (requested === null) {
    throw denied(`models: the API key making this request may only use ${list(creator)}, not every model.`, 'models');
  }
  const outside = requested.filter((m) => !creator.includes(m));
  if (outside.length > 0) {
    throw denied(
      `models: the API key making this request may not use ${list(outside)} (it may use ${list(creator)}).`,
      'models',
    );
  }
  return requested;
}

function narrowLimit(
  field: 'rpm' | 'tpm',
  requested: number | null | undefined,
  creator: number | null,
): number | null {
  if (creator === null) return requested ?? null;
  if (requested === undefined) return creator;
  if (requested === null || requested > creator) {
    throw denied(`${field}: at most ${creator}, the limit of the API key making this request.`, field);
  }
  return requested;
}

function narrowExpiry(requested: Date | null | undefined, creator: Date | null): Date | null {
  if (creator === null) return requested ?? null;
  if (requested === undefined) return creator;
  if (requested === null || requested > creator) {
    const at = Math.floor(creator.getTime() / 1000);
    throw denied(`expires_at: at most ${at}, when the API key making this request expires.`, 'expires_at');
  }
  return requested;
}

function denied(message: string, param: string | null): AuthError {
  return new AuthError(AuthErrorCode.PermissionDenied, message, param);
}

function list(items: readonly string[]): string {
  return items.map((i) => `'${i}'`).join(', ');
}
