import { SCOPES } from '@llmp/contracts';
import { keyScopes, userScopes } from './scopes';

const withoutAdmin = SCOPES.filter((s) => s !== 'admin');

describe('scopes', () => {
  it('gives a user token every scope but admin, and admin only to admins', () => {
    expect(userScopes('user')).toEqual(withoutAdmin);
    expect(userScopes('admin')).toEqual([...SCOPES]);
  });

  it('gives an `all` key what its user’s token holds', () => {
    expect(keyScopes({ permissions: 'all', scopes: null }, 'user')).toEqual(withoutAdmin);
    expect(keyScopes({ permissions: 'all', scopes: null }, 'admin')).toEqual([...SCOPES]);
  });

  it('gives a read_only key the read scopes, whoever its user', () => {
    const readOnly = ['models.read', 'conversations.read', 'usage.read', 'api_keys.read', 'files.read'];
    expect(keyScopes({ permissions: 'read_only', scopes: null }, 'user')).toEqual(readOnly);
    expect(keyScopes({ permissions: 'read_only', scopes: null }, 'admin')).toEqual(readOnly);
  });

  it('gives a restricted key its scopes within its user’s: never admin for a non-admin', () => {
    const key = { permissions: 'restricted' as const, scopes: ['admin', 'model.request', 'models.read'] as const };
    expect(keyScopes(key, 'user')).toEqual(['models.read', 'model.request']);
    expect(keyScopes(key, 'admin')).toEqual(['models.read', 'model.request', 'admin']);
  });
});
