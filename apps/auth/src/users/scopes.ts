import { ApiKeyPermissions, READ_ONLY_SCOPES, Role, SCOPES, Scope } from '@llmp/contracts';

/** What the user's own token may do: every scope but `admin`, and `admin` too for admins. */
export function userScopes(role: Role): Scope[] {
  return SCOPES.filter((s) => s !== 'admin' || role === 'admin');
}

/**
 * What a key may do now: its permissions within what its user may do today (a demoted admin's keys lose `admin`).
 * Always in SCOPES order.
 */
export function keyScopes(
  key: { permissions: ApiKeyPermissions; scopes: readonly Scope[] | null },
  role: Role,
): Scope[] {
  const held = userScopes(role);
  switch (key.permissions) {
    case 'all':
      return held;
    case 'read_only':
      return held.filter((s) => READ_ONLY_SCOPES.includes(s));
    case 'restricted':
      return held.filter((s) => key.scopes?.includes(s) ?? false);
  }
}
