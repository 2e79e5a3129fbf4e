/**
 * One upstream's circuit: `failures` failures before the first token in a row open it for `cooldownMs`, during
 * which the upstream is skipped; then one trial request is let through (half-open), and its outcome closes or
 * reopens the circuit. Per gateway process (each replica learns on its own; no shared state is needed for a
 * breaker to do its job). Written by hand: a few lines, and the "before the first token" rule is ours.
 */
export class CircuitBreaker {
  private consecutive = 0;
  private openUntil = 0;
  private trial = false;

  constructor(
    private readonly failures: number,
    private readonly cooldownMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  get state(): 'closed' | 'open' | 'half-open' {
    if (this.consecutive < this.failures) return 'closed';
    return this.now() < this.openUntil ? 'open' : 'half-open';
  }

  /** Whether a request may go to the upstream now (in half-open state: only the first, until it reports back). */
  allow(): boolean {
    const state = this.state;
    if (state === 'closed') return true;
    if (state === 'open' || this.trial) return false;
    this.trial = true;
    return true;
  }

  success(): void {
    this.consecutive = 0;
    this.trial = false;
  }

  failure(): void {
    this.consecutive++;
    this.trial = false;
    if (this.consecutive >= this.failures) this.openUntil = this.now() + this.cooldownMs;
  }
}
