import { PrincipalSchema, SCOPES } from '@llmp/contracts';
import type { ApiKeyEntity } from '../api-keys/api-key.entity';
import type { UserEntity } from './user.entity';
import { LimitDefaults, keyPrincipal, userPrincipal } from './principal';

const defaults: LimitDefaults = { user: { rpm: 600, tpm: 1_000_000 }, key: { rpm: null, tpm: 5000 } };

function user(over: Partial<UserEntity> = {}): UserEntity {
  return {
    id: '0b7f8a57-64b4-4a34-9d5e-0d0a0f7a1c11',
    username: 'alice',
    email: null,
    passwordHash: 'x',
    role: 'user',
    disabledAt: null,
    rpmLimit: null,
    tpmLimit: null,
    monthlyBudget: null,
    createdAt: new Date(),
    ...over,
  };
}

function key(over: Partial<ApiKeyEntity> = {}): ApiKeyEntity {
  return {
    id: '5b0b0c1e-2f6b-4a57-8a39-4b8e4a1b2c3d',
    userId: user().id,
    name: 'k',
    prefix: 'sk-abcdefghi',
    keyHash: 'h',
    models: ['m1'],
    rpm: 10,
    tpm: null,
    expiresAt: null,
    permissions: 'all',
    scopes: null,
    revokedAt: null,
    lastUsedAt: null,
    createdAt: new Date(),
    ...over,
  };
}

describe('principals', () => {
  it('gives a JWT caller the default user limits unless the user has their own', () => {
    const p = userPrincipal(user(), defaults);
    expect(PrincipalSchema.parse(p)).toEqual({
      userId: user().id,
      username: 'alice',
      role: 'user',
      keyId: null,
      models: null,
      keyLimits: null,
      monthlyBudget: null,
      userLimits: { rpm: 600, tpm: 1_000_000 },
      expiresAt: null,
      scopes: SCOPES.filter((s) => s !== 'admin'),
    });
    expect(userPrincipal(user({ role: 'admin' }), defaults)?.scopes).toEqual([...SCOPES]);
    expect(userPrincipal(user({ rpmLimit: 5 }), defaults)?.userLimits).toEqual({ rpm: 5, tpm: 1_000_000 });
    // numeric comes back from pg as a string
    expect(userPrincipal(user({ monthlyBudget: '12.5' }), defaults)?.monthlyBudget).toBe(12.5);
  });

  it('has no principal for a disabled user, by JWT or by key', () => {
    expect(userPrincipal(user({ disabledAt: new Date() }), defaults)).toBeNull();
    expect(keyPrincipal(user({ disabledAt: new Date() }), key(), defaults)).toBeNull();
  });

  it('fills a key without limits from the key defaults and keeps its models and expiry', () => {
    const expiresAt = new Date(Date.now() + 3_600_000);
    const p = keyPrincipal(user(), key({ expiresAt }), defaults);
    expect(PrincipalSchema.parse(p)).toMatchObject({
      keyId: key().id,
      models: ['m1'],
      keyLimits: { rpm: 10, tpm: 5000 },
      expiresAt: Math.floor(expiresAt.getTime() / 1000),
    });
  });

  it('has no principal for a revoked or expired key', () => {
    expect(keyPrincipal(user(), key({ revokedAt: new Date() }), defaults)).toBeNull();
    expect(keyPrincipal(user(), key({ expiresAt: new Date(Date.now() - 1000) }), defaults)).toBeNull();
  });
});
