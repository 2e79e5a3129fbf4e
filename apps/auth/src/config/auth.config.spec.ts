import { generateKeyPairSync } from 'node:crypto';
import { ConfigError } from '@llmp/platform';
import { DEV_ADMIN_PASSWORD, DEV_API_KEY_FILE, readAuthEnv } from './auth.config';

const pem = () => generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

describe('readAuthEnv', () => {
  it('has development defaults', () => {
    const cfg = readAuthEnv({});
    expect(cfg).toMatchObject({
      accessTokenTtlS: 900,
      refreshTokenTtlS: 30 * 24 * 3600,
      jwtPrivateKeyPem: null,
      jwtIssuer: 'llmp-auth',
      jwtAudience: 'llmp',
      adminUsername: 'admin',
      adminPassword: DEV_ADMIN_PASSWORD,
      defaultUserLimits: { rpm: 600, tpm: 1_000_000 },
      defaultKeyLimits: { rpm: null, tpm: null },
      loginMaxFailures: 5,
      devApiKeyFile: DEV_API_KEY_FILE,
    });
  });

  it('keeps the dev API key file outside production only, and by default only in development', () => {
    expect(readAuthEnv({ AUTH_DEV_API_KEY_FILE: '/tmp/k' }).devApiKeyFile).toBe('/tmp/k');
    expect(readAuthEnv({ AUTH_DEV_API_KEY_FILE: '' }).devApiKeyFile).toBeNull();
    expect(readAuthEnv({ NODE_ENV: 'test' }).devApiKeyFile).toBeNull();
    expect(readAuthEnv({ NODE_ENV: 'test', AUTH_DEV_API_KEY_FILE: '/tmp/k' }).devApiKeyFile).toBe('/tmp/k');
    const prod = { NODE_ENV: 'production', AUTH_JWT_PRIVATE_KEY: pem(), AUTH_ADMIN_PASSWORD: 'Real-secret-99' };
    expect(readAuthEnv({ ...prod, AUTH_DEV_API_KEY_FILE: '/tmp/k' }).devApiKeyFile).toBeNull();
  });

  it('treats empty variables as unset and accepts \\n-escaped PEM keys', () => {
    const key = pem();
    const cfg = readAuthEnv({ AUTH_DEFAULT_KEY_RPM: '', AUTH_JWT_PRIVATE_KEY: key.replace(/\n/g, '\\n') });
    expect(cfg.defaultKeyLimits.rpm).toBeNull();
    expect(cfg.jwtPrivateKeyPem).toBe(key.trim());
  });

  it('names the variable of a bad value', () => {
    expect(() => readAuthEnv({ AUTH_LOGIN_MAX_FAILURES: 'many' })).toThrow(/AUTH_LOGIN_MAX_FAILURES/);
    expect(() => readAuthEnv({ AUTH_JWT_PRIVATE_KEY: 'nope' })).toThrow(/AUTH_JWT_PRIVATE_KEY/);
  });

  it('refuses production without a signing key or with the development admin password', () => {
    expect(() => readAuthEnv({ NODE_ENV: 'production', AUTH_ADMIN_PASSWORD: 'Real-secret-99' })).toThrow(
      /AUTH_JWT_PRIVATE_KEY/,
    );
    expect(() => readAuthEnv({ NODE_ENV: 'production', AUTH_JWT_PRIVATE_KEY: pem() })).toThrow(/AUTH_ADMIN_PASSWORD/);
    expect(() =>
      readAuthEnv({ NODE_ENV: 'production', AUTH_JWT_PRIVATE_KEY: pem(), AUTH_ADMIN_PASSWORD: DEV_ADMIN_PASSWORD }),
    ).toThrow(ConfigError);
    expect(
      readAuthEnv({ NODE_ENV: 'production', AUTH_JWT_PRIVATE_KEY: pem(), AUTH_ADMIN_PASSWORD: 'Real-secret-99' })
        .adminPassword,
    ).toBe('Real-secret-99');
  });
});
