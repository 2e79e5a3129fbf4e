import { EmbedTextsV1Payload, Principal, StreamEvent, decodeVectors, encodeVectors } from '@llmp/contracts';
import { ApiError } from '@llmp/platform';
import { JobHandle } from '../jobs/job-handle';
import { EmbeddingBatcher } from './embedding-batcher';

const alice = { userId: 'alice', keyId: 'k1' } as Principal;
const bob = { userId: 'bob', keyId: 'k2' } as Principal;
const DIMS = 2;

interface Submitted {
  principal: Principal;
  payload: Omit<EmbedTextsV1Payload, 'replyTo'>;
  handle: JobHandle;
  cancelled: boolean;
}

const opened: JobHandle[] = [];
afterEach(() => {
  // Jobs a test left unanswered: their readers' deadline timers stop with them.
  for (const h of opened.splice(0)) h.cancel();
});

/** A batcher over a fake queue: every submitted job is kept, to be answered by the test like a worker would. */
function setup(opts: { windowMs?: number; refuse?: boolean } = {}) {
  const jobs: Submitted[] = [];
  const batcher = new EmbeddingBatcher({
    windowMs: opts.windowMs ?? 5,
    deadline: () => Date.now() + 5_000,
    submitJob: async (principal, _model, payload) => {
      await Promise.resolve();
      if (opts.refuse) throw new ApiError('server_overloaded' as never, 'queue full');
      const entry: Submitted = { principal, payload, cancelled: false, handle: undefined as unknown as JobHandle };
      entry.handle = new JobHandle(
        `job-${jobs.length}`,
        'embedding-m',
        () => (entry.cancelled = true),
        () => undefined,
      );
      jobs.push(entry);
      opened.push(entry.handle);
      return entry.handle;
    },
  });
  return { batcher, jobs };
}

/** Answers a job as the worker does: the vector of a text is [its length, its index in the job]. */
function answer(job: Submitted, errors: { group: number; code: string; message: string; param: string }[] = []) {
  const failed = new Set<number>();
  let start = 0;
  (job.payload.groups ?? [job.payload.inputs.length]).forEach((n, g) => {
    if (errors.some((e) => e.group === g)) for (let i = 0; i < n; i++) failed.add(start + i);
    start += n;
  });
  const rows = job.payload.inputs.map((x, i) => (failed.has(i) ? [0, 0] : [(x as string).length, i]));
  const tokens = job.payload.inputs.map((x, i) => (failed.has(i) ? 0 : (x as string).length));
  job.handle.push({
    type: 'embeddings',
    jobId: job.handle.jobId,
    vectors: encodeVectors(rows, DIMS),
    dims: DIMS,
    count: rows.length,
    promptTokens: tokens.reduce((a, b) => a + b, 0),
    tokens,
    ...(errors.length ? { errors } : {}),
  });
}

const request = (inputs: string[], principal = alice, extra: { dimensions?: number; maxInputs?: number } = {}) => ({
  principal,
  model: 'm',
  requestId: `req-${inputs.join('-')}`,
  inputs,
  maxInputs: extra.maxInputs ?? 8,
  ...(extra.dimensions ? { dimensions: extra.dimensions } : {}),
});

const never = () => new AbortController().signal;
const tick = () => new Promise((r) => setTimeout(r, 0));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function embeddingsOf(handle: JobHandle): Promise<Extract<StreamEvent, { type: 'embeddings' }>> {
  const ev = await handle.next(Date.now() + 1000);
  if (ev.type !== 'embeddings') throw new Error(`expected embeddings, got ${JSON.stringify(ev)}`);
  return ev;
}

describe('EmbeddingBatcher', () => {
  it('sends a request at once when nothing is in flight, and merges the ones that arrive meanwhile', async () => {
    const { batcher, jobs } = setup({ windowMs: 20 });
    const first = batcher.submit(request(['a']), never());
    await tick();
    expect(jobs).toHaveLength(1);
    expect(jobs[0]!.payload.groups).toBeUndefined();
    const rest = [batcher.submit(request(['bb']), never()), batcher.submit(request(['ccc', 'dd']), never())];
    await sleep(5);
    expect(jobs).toHaveLength(1); // still inside the window
    await sleep(30);
    expect(jobs).toHaveLength(2);
    expect(jobs[1]!.payload).toMatchObject({ inputs: ['bb', 'ccc', 'dd'], groups: [1, 2], requestId: 'req-bb' });
    answer(jobs[0]!);
    answer(jobs[1]!);
    expect((await embeddingsOf(await first)).promptTokens).toBe(1);
    const [b, c] = await Promise.all(rest.map(async (p) => embeddingsOf(await p)));
    expect(b).toMatchObject({ count: 1, promptTokens: 2, tokens: [2] });
    expect(Array.from(decodeVectors(b!.vectors, 1, DIMS))).toEqual([2, 0]);
    expect(c).toMatchObject({ count: 2, promptTokens: 5, tokens: [3, 2] });
    expect(Array.from(decodeVectors(c!.vectors, 2, DIMS))).toEqual([3, 1, 2, 2]);
  });

  it('each member gets a handle of its own (its own usage record id)', async () => {
    const { batcher, jobs } = setup();
    void batcher.submit(request(['x']), never());
    await tick();
    const handles = [batcher.submit(request(['a']), never()), batcher.submit(request(['b']), never())];
    await sleep(20);
    const [a, b] = await Promise.all(handles);
    expect(new Set([a!.jobId, b!.jobId, jobs[1]!.handle.jobId]).size).toBe(3);
  });

  it('sends a batch as soon as it holds maxInputs inputs, and never lets one exceed it', async () => {
    const { batcher, jobs } = setup({ windowMs: 10_000 });
    void batcher.submit(request(['busy']), never());
    await tick();
    const max = { maxInputs: 4 };
    void batcher.submit(request(['a', 'b'], alice, max), never());
    void batcher.submit(request(['c'], alice, max), never());
    void batcher.submit(request(['d', 'e'], alice, max), never()); // 5 > 4: the first two go, this one starts anew
    void batcher.submit(request(['f', 'g'], alice, max), never()); // 4: sent at once
    await tick();
    expect(jobs.map((j) => j.payload.inputs)).toEqual([['busy'], ['a', 'b', 'c'], ['d', 'e', 'f', 'g']]);
    expect(EmbeddingBatcher.mergeable({ inputs: ['a', 'b', 'c', 'd', 'e'], maxInputs: 4 })).toBe(false);
  });

  it('merges only requests of the same user, model and dimensions', async () => {
    const { batcher, jobs } = setup();
    void batcher.submit(request(['busy']), never());
    void batcher.submit(request(['busy2'], bob), never());
    await tick();
    void batcher.submit(request(['a']), never());
    void batcher.submit(request(['b'], bob), never());
    void batcher.submit(request(['c'], alice, { dimensions: 1 }), never());
    void batcher.submit(request(['d']), never());
    await sleep(20);
    const merged = jobs.slice(2).map((j) => [j.principal.userId, j.payload.dimensions ?? null, j.payload.inputs]);
    expect(merged).toEqual(
      expect.arrayContaining([
        ['alice', null, ['a', 'd']],
        ['bob', null, ['b']],
        ['alice', 1, ['c']],
      ]),
    );
    expect(merged).toHaveLength(3);
  });

  it('fails only the member whose input was invalid, with its own error', async () => {
    const { batcher, jobs } = setup();
    void batcher.submit(request(['busy']), never());
    await tick();
    const good = batcher.submit(request(['ok']), never());
    const bad = batcher.submit(request(['fine', 'way too long']), never());
    await sleep(20);
    const message = "This model's maximum input length is 5 tokens. However, input[1] has 12 tokens.";
    answer(jobs[1]!, [{ group: 1, code: 'input_too_long', message, param: 'input[1]' }]);
    expect(await embeddingsOf(await good)).toMatchObject({ count: 1, promptTokens: 2 });
    expect(await (await bad).next(Date.now() + 1000)).toMatchObject({
      type: 'error',
      code: 'input_too_long',
      message,
      param: 'input[1]',
      retrying: false,
    });
  });

  it('a member that goes away before its batch is sent leaves it; the others are still served', async () => {
    const { batcher, jobs } = setup();
    void batcher.submit(request(['busy']), never());
    await tick();
    const gone = new AbortController();
    const leaving = batcher.submit(request(['leaving']), gone.signal);
    const staying = batcher.submit(request(['staying']), never());
    gone.abort();
    await expect(leaving).rejects.toMatchObject({ code: 'request_cancelled' });
    await sleep(20);
    expect(jobs[1]!.payload).toMatchObject({ inputs: ['staying'] });
    expect(jobs[1]!.payload.groups).toBeUndefined();
    answer(jobs[1]!);
    expect(await embeddingsOf(await staying)).toMatchObject({ count: 1, promptTokens: 7 });
  });

  it('a member cancelled after the job was sent does not cancel it; the last one to leave does', async () => {
    const { batcher, jobs } = setup();
    void batcher.submit(request(['busy']), never());
    await tick();
    const p = [batcher.submit(request(['a']), never()), batcher.submit(request(['b']), never())];
    await sleep(20);
    const [a, b] = await Promise.all(p);
    a!.cancel();
    expect(jobs[1]!.cancelled).toBe(false);
    expect(await a!.next(Date.now() + 1000)).toMatchObject({ type: 'error', code: 'cancelled' });
    answer(jobs[1]!);
    expect(await embeddingsOf(b!)).toMatchObject({ count: 1, tokens: [1] });

    const q = [batcher.submit(request(['c']), never()), batcher.submit(request(['d']), never())];
    await sleep(20);
    const [c, d] = await Promise.all(q);
    const job = jobs.find((j) => j.payload.inputs.includes('c'))!;
    c!.cancel();
    d!.cancel();
    expect(job.cancelled).toBe(true);
  });

  it('a job error reaches every member; a full queue refuses every member with its 429', async () => {
    const { batcher, jobs } = setup();
    void batcher.submit(request(['busy']), never());
    await tick();
    const p = [batcher.submit(request(['a']), never()), batcher.submit(request(['b']), never())];
    await sleep(20);
    const handles = await Promise.all(p);
    const shared = jobs[1]!.handle;
    shared.push({ type: 'error', jobId: shared.jobId, code: 'worker_failed', message: 'boom', retrying: true });
    answer(jobs[1]!);
    for (const h of handles) {
      expect(await h.next(Date.now() + 1000)).toMatchObject({ type: 'error', retrying: true, jobId: h.jobId });
      expect(await h.next(Date.now() + 1000)).toMatchObject({ type: 'embeddings', count: 1 });
    }

    const full = setup({ refuse: true });
    const refused = [full.batcher.submit(request(['a']), never()), full.batcher.submit(request(['b']), never())];
    for (const r of refused) await expect(r).rejects.toThrow('queue full');
  });
});
