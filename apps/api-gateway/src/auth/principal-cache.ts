import type { Principal } from '@llmp/contracts';

interface Entry {
  principal: Principal | null;
  expires: number;
}

/**
 * Answers of the auth service, kept briefly (a bounded map in insertion order, oldest evicted first). Entries of
 * a key or a user are dropped at once when the auth service pushes a revocation or a change.
 */
export class PrincipalCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly ttlMs: number,
    private readonly negativeTtlMs: number,
    private readonly maxEntries = 100_000,
  ) {}

  get(cacheKey: string, now = Date.now()): Principal | null | undefined {
    const e = this.entries.get(cacheKey);
    if (!e) return undefined;
    if (e.expires <= now) {
      this.entries.delete(cacheKey);
      return undefined;
    }
    return e.principal;
  }

  set(cacheKey: string, principal: Principal | null, now = Date.now()): void {
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(cacheKey, { principal, expires: now + (principal ? this.ttlMs : this.negativeTtlMs) });
  }

  evictKey(keyId: string): void {
    for (const [k, e] of this.entries) if (e.principal?.keyId === keyId) this.entries.delete(k);
  }

  evictUser(userId: string): void {
    for (const [k, e] of this.entries) if (e.principal?.userId === userId) this.entries.delete(k);
  }

  clear(): void {
    this.entries.clear();
  }
}
