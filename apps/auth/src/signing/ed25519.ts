import { KeyObject, createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { JWK, calculateJwkThumbprint, exportJWK } from 'jose';

export const JWT_ALG = 'EdDSA';

export interface SigningKeyMaterial {
  kid: string;
  privateKey: KeyObject;
  /** The public half as published in the JWKS: kty, crv, x, kid, alg, use. */
  publicJwk: JWK;
}

/** The public JWK of an Ed25519 private key, with its kid (default: the RFC 7638 thumbprint). */
export async function keyMaterialFromPem(pem: string, kid?: string | null): Promise<SigningKeyMaterial> {
  const privateKey = createPrivateKey(pem);
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error('JWT signing key must be Ed25519');
  const bare = await exportJWK(createPublicKey(privateKey));
  const keyId = kid ?? (await calculateJwkThumbprint(bare));
  return { kid: keyId, privateKey, publicJwk: { ...bare, kid: keyId, alg: JWT_ALG, use: 'sig' } };
}

/** A new Ed25519 key pair, its private half in PKCS#8 PEM. */
export async function generateSigningKey(): Promise<SigningKeyMaterial & { privateKeyPem: string }> {
  const { privateKey } = generateKeyPairSync('ed25519');
  const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  return { ...(await keyMaterialFromPem(privateKeyPem)), privateKeyPem };
}
