import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { createHash } from 'node:crypto';
import type { BatchInputLine, BatchOutputLine, BatchRunV1Result } from '@llmp/contracts';
import { JobClient } from '@llmp/job-client';
import { ApiError, ApiErrorCode } from '@llmp/platform';
import { gatewayConfig } from '../config/gateway.config';
import { RagClient } from '../retrieval/rag.client';
import { BATCH_JOB_CLIENT } from './batch.constants';
import { parseBatchInput } from './batch-input';
import { BatchLineExecutor, TrackedJob } from './batch-line-executor.service';
import { BatchRecord, TERMINAL_STATUSES } from './batch-record';
import { BatchesRepository } from './batches.repository';

/** How often a running batch looks for a cancel. */
const CANCEL_POLL_MS = 500;

/** The run was interrupted by this replica's shutdown: the job goes back to the queue and resumes elsewhere. */
export class BatchDrained extends Error {}

/** The line's request ids, stable across runs: the usage record of a line redone after a crash counts once. */
function lineIds(batchId: string, index: number): { id: string; requestId: string } {
  const h = createHash('sha256').update(`${batchId}:${index}`).digest('hex');
  return { id: `batch_req_${h.slice(0, 32)}`, requestId: `req_${h.slice(32, 64)}` };
}

/**
 * Runs one batch to its end (the `batch.run.v1` job's work). Resumable: each finished line is persisted (once per
 * line) before the next is counted, so a run taken over after a crash or a drain skips the lines already done,
 * first stopping the line jobs the interrupted run left in flight. Lines run `BATCH_LINE_CONCURRENCY` at a time,
 * each a job at `BATCH_PRIORITY` on its model's queue (see BatchLineExecutor), so the batch never holds more than
 * that many places of a pool, and interactive requests, which carry no priority, are taken before its waiting lines.
 */
@Injectable()
export class BatchRunner {
  private readonly logger = new Logger(BatchRunner.name);
  private draining = false;
  private readonly running = new Set<Set<TrackedJob>>();

  constructor(
    private readonly repo: BatchesRepository,
    private readonly executor: BatchLineExecutor,
    private readonly rag: RagClient,
    @Inject(BATCH_JOB_CLIENT) private readonly jobs: JobClient,
    @Inject(gatewayConfig.KEY) private readonly cfg: ConfigType<typeof gatewayConfig>,
  ) {}

  /** Stops taking new lines; the lines in flight finish (or are cancelled after `graceMs`). */
  async drain(graceMs: number): Promise<void> {
    this.draining = true;
    const deadline = Date.now() + graceMs;
    while ([...this.running].some((s) => s.size > 0) && Date.now() < deadline) await sleep(100);
    for (const set of this.running) for (const job of set) job.cancel();
  }

  async run(batchId: string): Promise<BatchRunV1Result> {
    let rec = await this.repo.find(batchId);
    if (!rec || TERMINAL_STATUSES.has(rec.status)) {
      return { status: 'skipped', completed: rec?.completed ?? 0, failed: rec?.failed ?? 0 };
    }
    const run = await this.repo.increment(batchId, 'runs');
    await this.stopLeftovers(batchId);
    const input = await this.readInput(rec);
    if (!input.ok) {
      await this.repo.update(batchId, { errors: JSON.stringify(input.errors) });
      await this.repo.transition(batchId, 'failed', ['validating', 'cancelling'], 'failed_at');
      await this.repo.finish(batchId);
      return { status: 'failed', completed: 0, failed: 0 };
    }
    const lines = input.lines;
    if (rec.status === 'validating') {
      const model = lines.map((l) => l.body.model).find((m) => typeof m === 'string');
      await this.repo.update(batchId, { total: lines.length, ...(typeof model === 'string' ? { model } : {}) });
      await this.repo.transition(batchId, 'in_progress', ['validating'], 'in_progress_at');
      rec = (await this.repo.find(batchId))!;
    }
    if (rec.status === 'in_progress') await this.runLines(rec, lines, run);
    return this.finalize(batchId, lines);
  }

  private async readInput(rec: BatchRecord) {
    try {
      const file = await this.rag.call('getFileContent', { id: rec.input_file_id, userId: rec.userId });
      return parseBatchInput(Buffer.from(file.base64, 'base64'), rec.endpoint, this.cfg.batch.maxLines);
    } catch (err) {
      // Deleted since the batch was created: a permanent failure of the batch. Anything else is retried.
      if (!(err instanceof ApiError) || err.code !== ApiErrorCode.NotFound) throw err;
      const message = `The input file '${rec.input_file_id}' no longer exists.`;
      return { ok: false as const, errors: [{ code: 'invalid_file', message, param: 'input_file_id', line: null }] };
    }
  }

  /** Line jobs an interrupted run left in flight: their answers went to a reply channel nobody reads any more. */
  private async stopLeftovers(batchId: string): Promise<void> {
    for (const member of await this.repo.inflight(batchId)) {
      const [queueName, jobId] = member.split('|') as [string, string];
      await this.jobs.cancel(queueName, jobId);
      await this.repo.removeInflight(batchId, member);
    }
  }

  private async runLines(rec: BatchRecord, lines: BatchInputLine[], run: number): Promise<void> {
    const done = await this.repo.doneLines(rec.id);
    const pending = lines.map((_, i) => i).filter((i) => !done.has(i));
    const inflight = new Set<TrackedJob>();
    this.running.add(inflight);
    let stopped = false;
    const watch = setInterval(() => {
      void this.repo.find(rec.id).then(
        (now) => {
          if (now?.status !== 'cancelling') return;
          stopped = true;
          for (const job of inflight) job.cancel();
        },
        () => undefined,
      );
    }, CANCEL_POLL_MS);
    const hooks = {
      submitted: async (job: TrackedJob) => {
        inflight.add(job);
        await this.repo.addInflight(rec.id, `${job.queueName}|${job.jobId}`);
      },
      settled: async (job: TrackedJob) => {
        inflight.delete(job);
        await this.repo.removeInflight(rec.id, `${job.queueName}|${job.jobId}`);
      },
    };
    let next = 0;
    const lane = async () => {
      while (!stopped && next < pending.length) {
        if (this.draining) throw new BatchDrained(`batch ${rec.id} handed back by a draining gateway`);
        if (Date.now() >= rec.expires_at * 1000) return;
        const index = pending[next++]!;
        const line = lines[index]!;
        const { id, requestId } = lineIds(rec.id, index);
        const jobId = `${rec.id}-${index}-r${run}`;
        const outcome = await this.executor.execute(rec.principal, rec.endpoint, line.body, requestId, jobId, hooks);
        // A line stopped by the batch's cancel (or this replica's drain) is not an answer: it is left undone.
        if (outcome.statusCode === 499 && (stopped || this.draining)) continue;
        const ok = outcome.statusCode === 200;
        const model = typeof line.body.model === 'string' ? line.body.model : '';
        if (ok) this.executor.record(rec.principal, rec.endpoint, requestId, model, outcome.usage);
        await this.repo.recordLine(rec.id, index, {
          ok,
          line: {
            id,
            custom_id: line.custom_id,
            response: { status_code: outcome.statusCode, request_id: requestId, body: outcome.body },
            error: null,
          },
          inputTokens: outcome.usage.promptTokens,
          outputTokens: outcome.usage.completionTokens,
        });
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.min(this.cfg.batch.lineConcurrency, pending.length) }, lane));
    } finally {
      clearInterval(watch);
      this.running.delete(inflight);
    }
  }

  /**
   * Writes the output and error files and ends the batch: `cancelled` when it was being cancelled, `expired` when
   * lines were left undone past its window, `completed` otherwise. Undone lines get OpenAI's `batch_cancelled` or
   * `batch_expired` error lines. Safe to repeat after a crash: each file id is stored as soon as the file exists.
   */
  private async finalize(batchId: string, lines: BatchInputLine[]): Promise<BatchRunV1Result> {
    const now = await this.repo.transition(batchId, 'finalizing', ['in_progress'], 'finalizing_at');
    const cancelled = now === 'cancelling';
    const stored = await this.repo.lines(batchId);
    const undone = lines.map((_, i) => i).filter((i) => !stored.has(i));
    const code = cancelled ? 'batch_cancelled' : 'batch_expired';
    const message = cancelled
      ? 'This request was not executed: the batch was cancelled.'
      : 'This request could not be executed before the completion window expired.';
    for (const index of undone) {
      const entry = { ok: false, line: this.undoneLine(batchId, index, lines[index]!, code, message) };
      await this.repo.recordLine(batchId, index, { ...entry, inputTokens: 0, outputTokens: 0 });
      stored.set(index, { ...entry, inputTokens: 0, outputTokens: 0 });
    }
    const rec = (await this.repo.find(batchId))!;
    const ordered = lines.map((_, i) => stored.get(i)!);
    const jsonl = (ok: boolean) =>
      ordered
        .filter((s) => s.ok === ok)
        .map((s) => JSON.stringify(s.line))
        .join('\n');
    const output = jsonl(true);
    const errors = jsonl(false);
    if (output && !rec.output_file_id) {
      const file = await this.writeFile(rec, `batch_${batchId}_output.jsonl`, output);
      await this.repo.update(batchId, { output_file_id: file });
    }
    if (errors && !rec.error_file_id) {
      const file = await this.writeFile(rec, `batch_${batchId}_error.jsonl`, errors);
      await this.repo.update(batchId, { error_file_id: file });
    }
    const status = cancelled ? 'cancelled' : undone.length ? 'expired' : 'completed';
    const stamp = cancelled ? 'cancelled_at' : undone.length ? 'expired_at' : 'completed_at';
    await this.repo.transition(batchId, status, ['finalizing', 'cancelling'], stamp);
    await this.repo.finish(batchId);
    const final = (await this.repo.find(batchId))!;
    this.logger.log({ msg: 'batch finished', batchId, status, completed: final.completed, failed: final.failed });
    return { status, completed: final.completed, failed: final.failed };
  }

  private undoneLine(batchId: string, index: number, line: BatchInputLine, code: string, message: string) {
    const { id } = lineIds(batchId, index);
    return { id, custom_id: line.custom_id, response: null, error: { code, message } } satisfies BatchOutputLine;
  }

  private async writeFile(rec: BatchRecord, filename: string, text: string): Promise<string> {
    const file = await this.rag.call('createFile', {
      userId: rec.userId,
      filename,
      purpose: 'batch_output',
      mimeType: 'application/jsonl',
      base64: Buffer.from(`${text}\n`).toString('base64'),
      ...(rec.output_expires_s ? { expires_after: { anchor: 'created_at', seconds: rec.output_expires_s } } : {}),
    });
    return file.id;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
