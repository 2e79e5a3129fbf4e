import { AuthErrorCode, CreateApiKeyRequest, CreateApiKeyRequestSchema, SCOPES } from '@llmp/contracts';
import { AuthError } from '../errors/auth.error';
import { CreatorKey, resolveKeyGrant } from './key-grant';

const req = (body: Record<string, unknown>): CreateApiKeyRequest =>
  CreateApiKeyRequestSchema.parse({ name: 'k', ...body });
const withoutAdmin = SCOPES.filter((s) => s !== 'admin');
const creator = (over: Partial<CreatorKey> = {}): CreatorKey => ({
  scopes: withoutAdmin,
  models: null,
  limits: { rpm: null, tpm: null },
  expiresAt: null,
  ...over,
});

function refusal(fn: () => unknown): { code: string; param: string | null; message: string } {
  try {
    fn();
  } catch (err) {
    if (err instanceof AuthError) return err.toPayload();
    throw err;
  }
  throw new Error('not refused');
}

describe('resolveKeyGrant', () => {
  it('gives a key created with a user token what it asks for', () => {
    expect(resolveKeyGrant(req({ models: ['m1'], rpm: 5 }), 'user', null)).toEqual({
      permissions: 'all',
      scopes: null,
      models: ['m1'],
      rpm: 5,
      tpm: null,
      expiresAt: null,
    });
    expect(
      resolveKeyGrant(req({ permissions: 'restricted', scopes: ['usage.read', 'models.read'] }), 'user', null),
    ).toMatchObject({ permissions: 'restricted', scopes: ['models.read', 'usage.read'] });
  });

  it('never lets a non-admin’s key hold admin', () => {
    const body = req({ permissions: 'restricted', scopes: ['admin'] });
    expect(refusal(() => resolveKeyGrant(body, 'user', null))).toMatchObject({
      code: AuthErrorCode.PermissionDenied,
      param: 'scopes',
    });
    expect(resolveKeyGrant(body, 'admin', null).scopes).toEqual(['admin']);
  });

  it('refuses a creator key without api_keys.write', () => {
    const readOnly = creator({ scopes: ['models.read', 'conversations.read', 'usage.read', 'api_keys.read'] });
    const err = refusal(() => resolveKeyGrant(req({ permissions: 'read_only' }), 'user', readOnly));
    expect(err).toMatchObject({ code: 'permission_denied', param: null });
    expect(err.message).toMatch(/api_keys\.write/);
  });

  it('keeps the new key’s scopes within the creator’s', () => {
    const narrow = creator({ scopes: ['models.read', 'model.request', 'api_keys.write'] });
    expect(refusal(() => resolveKeyGrant(req({}), 'user', narrow))).toMatchObject({ param: 'permissions' });
    expect(refusal(() => resolveKeyGrant(req({ permissions: 'read_only' }), 'user', narrow))).toMatchObject({
      param: 'permissions',
    });
    const wide = req({ permissions: 'restricted', scopes: ['model.request', 'data.delete'] });
    expect(refusal(() => resolveKeyGrant(wide, 'user', narrow)).message).toMatch(/'data\.delete'/);
    const ok = req({ permissions: 'restricted', scopes: ['model.request'] });
    expect(resolveKeyGrant(ok, 'user', narrow).scopes).toEqual(['model.request']);
  });

  it('inherits or narrows the creator’s models, and refuses more', () => {
    const oneModel = creator({ models: ['m1'] });
    expect(resolveKeyGrant(req({}), 'user', oneModel).models).toEqual(['m1']);
    expect(resolveKeyGrant(req({ models: ['m1'] }), 'user', oneModel).models).toEqual(['m1']);
    expect(refusal(() => resolveKeyGrant(req({ models: ['m1', 'm2'] }), 'user', oneModel))).toMatchObject({
      code: 'permission_denied',
      param: 'models',
    });
    expect(refusal(() => resolveKeyGrant(req({ models: null }), 'user', oneModel)).param).toBe('models');
    expect(resolveKeyGrant(req({ models: ['m2'] }), 'user', creator()).models).toEqual(['m2']);
  });

  it('inherits or lowers the creator’s limits and expiry, and refuses more', () => {
    const expiresAt = new Date(Date.now() + 3_600_000);
    const limited = creator({ limits: { rpm: 10, tpm: 1000 }, expiresAt });
    expect(resolveKeyGrant(req({ rpm: 5 }), 'user', limited)).toMatchObject({ rpm: 5, tpm: 1000, expiresAt });
    expect(refusal(() => resolveKeyGrant(req({ rpm: 11 }), 'user', limited)).param).toBe('rpm');
    expect(refusal(() => resolveKeyGrant(req({ tpm: null }), 'user', limited)).param).toBe('tpm');
    const later = Math.floor(expiresAt.getTime() / 1000) + 60;
    expect(refusal(() => resolveKeyGrant(req({ expires_at: later }), 'user', limited)).param).toBe('expires_at');
    expect(refusal(() => resolveKeyGrant(req({ expires_at: null }), 'user', limited)).param).toBe('expires_at');
    const sooner = Math.floor(expiresAt.getTime() / 1000) - 60;
    expect(resolveKeyGrant(req({ expires_at: sooner }), 'user', limited).expiresAt).toEqual(new Date(sooner * 1000));
  });

  it('requires scopes with restricted and refuses them otherwise', () => {
    expect(CreateApiKeyRequestSchema.safeParse({ name: 'k', permissions: 'restricted' }).success).toBe(false);
    expect(CreateApiKeyRequestSchema.safeParse({ name: 'k', scopes: ['models.read'] }).success).toBe(false);
    expect(
      CreateApiKeyRequestSchema.safeParse({ name: 'k', scopes: ['nope'], permissions: 'restricted' }).success,
    ).toBe(false);
  });
});
