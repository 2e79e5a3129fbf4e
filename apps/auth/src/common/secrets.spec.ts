import { createHash } from 'node:crypto';
import { API_KEY_VISIBLE_CHARS, generateApiKey, generateRefreshToken, sha256Hex } from './secrets';

describe('secrets', () => {
  it('hashes with sha256 as lowercase hex, the form the gateway sends as keyHash', () => {
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256Hex('sk-x')).toMatch(/^[0-9a-f]{64}$/);
  });

  it('makes refresh tokens of 32 random bytes in base64url, stored only as their hash', () => {
    const a = generateRefreshToken();
    const b = generateRefreshToken();
    expect(a.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(a.token, 'base64url')).toHaveLength(32);
    expect(a.hash).toBe(createHash('sha256').update(a.token).digest('hex'));
    expect(a.token).not.toBe(b.token);
  });

  it('makes API keys sk-<43 chars> with a 12-character visible prefix that is a prefix of the key', () => {
    const { key, hash, prefix } = generateApiKey();
    expect(key).toMatch(/^sk-[A-Za-z0-9_-]{43}$/);
    expect(prefix).toHaveLength(API_KEY_VISIBLE_CHARS);
    expect(key.startsWith(prefix)).toBe(true);
    expect(hash).toBe(sha256Hex(key));
    expect(generateApiKey().key).not.toBe(key);
  });
});
