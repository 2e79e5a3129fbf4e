import { createHash, randomBytes } from 'node:crypto';

export const API_KEY_PREFIX = 'sk-';
/** How many characters of an API key are stored in clear, so its owner can recognise it (`sk-AbCdEfGhI`). */
export const API_KEY_VISIBLE_CHARS = 12;

/** SHA-256 hex of a secret. Only hashes are stored; secrets have 256 bits of entropy, so no salt or KDF is needed. */
export function sha256Hex(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** An opaque refresh token: 32 random bytes, base64url (43 characters). */
export function generateRefreshToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: sha256Hex(token) };
}

/** An API key `sk-<32 random bytes base64url>` with its stored hash and visible prefix. */
export function generateApiKey(): { key: string; hash: string; prefix: string } {
  const key = `${API_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
  return { key, hash: sha256Hex(key), prefix: key.slice(0, API_KEY_VISIBLE_CHARS) };
}
