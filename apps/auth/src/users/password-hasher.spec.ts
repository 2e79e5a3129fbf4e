import { PasswordHasher } from './password-hasher';

describe('PasswordHasher', () => {
  const hasher = new PasswordHasher();

  it('hashes with argon2id and verifies only the same password', async () => {
    const h = await hasher.hash('correct-horse-7');
    expect(h).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    await expect(hasher.verify(h, 'correct-horse-7')).resolves.toBe(true);
    await expect(hasher.verify(h, 'correct-horse-8')).resolves.toBe(false);
  });

  it('treats a malformed stored hash as a mismatch', async () => {
    await expect(hasher.verify('not-a-hash', 'x')).resolves.toBe(false);
  });

  it('answers false for the dummy verification', async () => {
    await expect(hasher.verifyDummy('anything')).resolves.toBe(false);
  });
});
