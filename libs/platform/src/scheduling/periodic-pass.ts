/**
 * A maintenance pass run at start and then every `intervalMs` after the previous one ends, one at a time (an outbox
 * relay, a sweep, a purge). A timer, not a repeatable job: such passes must work while the queue does not. `stop()`
 * waits up to `shutdownWaitMs` for a pass under way; one stuck on a backend that is away is left (its leases run
 * out). `run` handles its own errors: a rejection is swallowed so the next pass still comes.
 */
export class PeriodicPass {
  private timer: NodeJS.Timeout | undefined;
  private pass: Promise<void> | undefined;
  private stoppedFlag = false;

  constructor(
    private readonly run: () => Promise<unknown>,
    private readonly intervalMs: number,
    private readonly shutdownWaitMs = 2000,
  ) {}

  /** Whether stop() was called: long passes check it between batches. */
  get stopped(): boolean {
    return this.stoppedFlag;
  }

  start(): void {
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stoppedFlag = true;
    clearTimeout(this.timer);
    if (!this.pass) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.pass, new Promise((r) => (timer = setTimeout(r, this.shutdownWaitMs)))]);
    clearTimeout(timer);
  }

  private schedule(delayMs: number): void {
    if (this.stoppedFlag) return;
    this.timer = setTimeout(() => {
      this.pass = this.run()
        .then(
          () => undefined,
          () => undefined,
        )
        .finally(() => {
          this.pass = undefined;
          this.schedule(this.intervalMs);
        });
    }, delayMs);
    this.timer.unref();
  }
}
