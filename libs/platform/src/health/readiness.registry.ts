import { Injectable, OnModuleDestroy } from '@nestjs/common';

export type ReadinessCheck = () => Promise<void>;

/**
 * Modules that own a dependency (Postgres, Redis, a queue, a model) register a check here. Once the app starts
 * shutting down (SIGTERM: Nest runs every onModuleDestroy first, before any drain or close), readiness fails, so a
 * load balancer or Kubernetes stops sending work while open requests and running jobs finish.
 */
@Injectable()
export class ReadinessRegistry implements OnModuleDestroy {
  private readonly checks = new Map<string, ReadinessCheck>();
  private draining = false;

  /** From now on readiness fails (idempotent). */
  drain(): void {
    this.draining = true;
  }

  onModuleDestroy(): void {
    this.drain();
  }

  register(name: string, check: ReadinessCheck): void {
    this.checks.set(name, check);
  }

  async run(timeoutMs = 2000): Promise<{ ok: boolean; checks: Record<string, { ok: boolean; error?: string }> }> {
    const entries = [...this.checks.entries()];
    const results = await Promise.all(
      entries.map(async ([name, check]) => {
        try {
          await withTimeout(check(), timeoutMs, name);
          return [name, { ok: true }] as const;
        } catch (err) {
          return [name, { ok: false, error: (err as Error).message }] as const;
        }
      }),
    );
    const checks: Record<string, { ok: boolean; error?: string }> = Object.fromEntries(results);
    if (this.draining) checks.shutdown = { ok: false, error: 'draining: shutting down' };
    return { ok: !this.draining && results.every(([, r]) => r.ok), checks };
  }
}

function withTimeout(p: Promise<void>, ms: number, name: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${name} check timed out after ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
