import { SetMetadata } from '@nestjs/common';
import type { Principal, Scope } from '@llmp/contracts';
import { ApiError, ApiErrorCode } from '@llmp/platform';

export const REQUIRED_SCOPE = Symbol('required-scope');

/** Any authenticated caller: routes about the credential itself (`/v1/auth/me`, logout). */
export const ANY_SCOPE = 'any';

/**
 * The scope a /v1 route needs from the caller's credential (key permissions or user token). Every authenticated
 * route declares one; the guard refuses a route without it, so a new route cannot be open to every key by accident.
 */
export const RequireScope = (scope: Scope | typeof ANY_SCOPE) => SetMetadata(REQUIRED_SCOPE, scope);

/** 403 `permission_denied` naming the missing scope (OpenAI: "You have insufficient permissions… Missing scopes"). */
export function assertScope(p: Principal, scope: Scope, param: string | null = null): void {
  if (p.scopes.includes(scope)) return;
  throw new ApiError(
    ApiErrorCode.PermissionDenied,
    `You have insufficient permissions for this operation. Missing scope: ${scope}.` +
      (p.keyId ? ' Use a key with this permission or a user access token.' : ''),
    param,
  );
}

/** Admin routes: the `admin` scope is not enough (a user's own token holds every scope), the role must be admin. */
export function requireAdmin(p: Principal): void {
  if (p.role !== 'admin') throw new ApiError(ApiErrorCode.PermissionDenied, 'This route is for admins.');
}
