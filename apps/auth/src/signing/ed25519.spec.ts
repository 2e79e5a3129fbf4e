import { SignJWT, createLocalJWKSet, jwtVerify } from 'jose';
import { generateSigningKey, keyMaterialFromPem } from './ed25519';

describe('Ed25519 signing keys', () => {
  it('generates a key whose JWK verifies what its private half signs', async () => {
    const key = await generateSigningKey();
    expect(key.privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(key.publicJwk).toEqual({
      kty: 'OKP',
      crv: 'Ed25519',
      x: expect.any(String),
      kid: key.kid,
      alg: 'EdDSA',
      use: 'sig',
    });
    expect(key.publicJwk).not.toHaveProperty('d');
    const jwt = await new SignJWT({ role: 'user' })
      .setProtectedHeader({ alg: 'EdDSA', kid: key.kid })
      .setSubject('u1')
      .sign(key.privateKey);
    const { payload, protectedHeader } = await jwtVerify(jwt, createLocalJWKSet({ keys: [key.publicJwk] }));
    expect(payload.sub).toBe('u1');
    expect(protectedHeader.kid).toBe(key.kid);
  });

  it('derives the same thumbprint kid from the same PEM, unless a kid is given', async () => {
    const key = await generateSigningKey();
    expect((await keyMaterialFromPem(key.privateKeyPem)).kid).toBe(key.kid);
    expect((await keyMaterialFromPem(key.privateKeyPem, 'k-2024')).publicJwk.kid).toBe('k-2024');
  });
});
