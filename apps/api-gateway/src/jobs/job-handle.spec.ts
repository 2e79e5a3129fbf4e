import type { StreamEvent } from '@llmp/contracts';
import { CONTINUATION_FAILED, JOB_CANCELLED, JobHandle } from './job-handle';

const JOB = 'job-1';
const FAR = () => Date.now() + 60_000;

const start: StreamEvent = { type: 'start', jobId: JOB, attempt: 1, promptTokens: 5 };
const delta = (text: string): StreamEvent => ({ type: 'delta', jobId: JOB, text });
const end: StreamEvent = {
  type: 'end',
  jobId: JOB,
  text: 'ab',
  finishReason: 'stop',
  usage: { promptTokens: 5, completionTokens: 2 },
};

function makeHandle() {
  const cancelled: JobHandle[] = [];
  const done: JobHandle[] = [];
  const handle = new JobHandle(
    JOB,
    'inference-m',
    (h) => cancelled.push(h),
    (h) => done.push(h),
  );
  return { handle, cancelled, done };
}

describe('JobHandle', () => {
  it('buffers events pushed before anyone reads and returns them in order', async () => {
    const { handle } = makeHandle();
    handle.push(start);
    handle.push(delta('a'));
    handle.push(delta('b'));
    handle.push(end);
    expect(await handle.next(FAR())).toEqual(start);
    expect(await handle.next(FAR())).toEqual(delta('a'));
    expect(await handle.next(FAR())).toEqual(delta('b'));
    expect(await handle.next(FAR())).toEqual(end);
  });

  it('hands an event straight to a waiting reader, and keeps order across waiting and buffered reads', async () => {
    const { handle } = makeHandle();
    const first = handle.next(FAR());
    handle.push(start);
    handle.push(delta('a'));
    handle.push(delta('b'));
    expect(await first).toEqual(start);
    expect(await handle.next(FAR())).toEqual(delta('a'));
    const third = handle.next(FAR());
    expect(await third).toEqual(delta('b'));
    const fourth = handle.next(FAR());
    setTimeout(() => handle.push(end), 5);
    expect(await fourth).toEqual(end);
  });

  it('yields a synthetic timeout error once the deadline passes, and still delivers later events', async () => {
    const { handle } = makeHandle();
    const before = Date.now();
    const ev = await handle.next(Date.now() + 30);
    expect(Date.now() - before).toBeGreaterThanOrEqual(25);
    expect(ev).toEqual({ type: 'error', jobId: JOB, code: 'timeout', message: expect.any(String), retrying: false });
    handle.push(delta('late'));
    expect(await handle.next(FAR())).toEqual(delta('late'));
  });

  it('times out at once when the deadline is already past', async () => {
    const { handle } = makeHandle();
    const ev = await handle.next(Date.now() - 1000);
    expect(ev).toMatchObject({ type: 'error', code: 'timeout', retrying: false });
  });

  it('prefers a buffered event over a past deadline', async () => {
    const { handle } = makeHandle();
    handle.push(start);
    expect(await handle.next(Date.now() - 1000)).toEqual(start);
  });

  it('cancel calls the cancel callback exactly once and marks the handle done', () => {
    const { handle, cancelled, done } = makeHandle();
    expect(handle.done).toBe(false);
    handle.cancel();
    handle.cancel();
    expect(cancelled).toEqual([handle]);
    expect(done).toEqual([handle]);
    expect(handle.done).toBe(true);
  });

  it('cancel ends a waiting read at once with a final cancelled error, and every later read too', async () => {
    const { handle } = makeHandle();
    const waiting = handle.next(FAR());
    const before = Date.now();
    handle.cancel();
    expect(await waiting).toEqual({
      type: 'error',
      jobId: JOB,
      code: JOB_CANCELLED,
      message: expect.any(String),
      retrying: false,
    });
    expect(await handle.next(FAR())).toMatchObject({ type: 'error', code: JOB_CANCELLED, retrying: false });
    expect(Date.now() - before).toBeLessThan(1000);
  });

  it('does not cancel a job that already ended', () => {
    const { handle, cancelled, done } = makeHandle();
    handle.push(end);
    expect(handle.done).toBe(true);
    handle.cancel();
    expect(cancelled).toEqual([]);
    expect(done).toEqual([handle]);
  });

  it('settles on a final error but not on one that will be retried', async () => {
    const { handle, done } = makeHandle();
    handle.push({ type: 'error', jobId: JOB, code: 'worker_failed', message: 'died', retrying: true });
    expect(handle.done).toBe(false);
    handle.push({ type: 'error', jobId: JOB, code: 'worker_failed', message: 'died again', retrying: false });
    expect(handle.done).toBe(true);
    expect(done).toHaveLength(1);
    expect((await handle.next(FAR())).type).toBe('error');
    expect(await handle.next(FAR())).toMatchObject({ type: 'error', message: 'died again' });
  });

  it('settles on an embeddings result, the one event of an embedding job', async () => {
    const { handle, done } = makeHandle();
    const result: StreamEvent = {
      type: 'embeddings',
      jobId: JOB,
      vectors: 'AACAPw==',
      dims: 1,
      count: 1,
      promptTokens: 2,
    };
    handle.push(result);
    expect(handle.done).toBe(true);
    expect(done).toEqual([handle]);
    expect(await handle.next(FAR())).toEqual(result);
  });

  it('ignores events that arrive after the job settled', async () => {
    const { handle } = makeHandle();
    handle.push(end);
    handle.push(delta('stray'));
    expect(await handle.next(FAR())).toEqual(end);
    expect(await handle.next(Date.now() + 20)).toMatchObject({ type: 'error', code: 'timeout' });
  });

  describe('a retry after the worker died mid-stream', () => {
    const startOf = (attempt: number): StreamEvent => ({ type: 'start', jobId: JOB, attempt, promptTokens: 5 });
    const deltaOf = (attempt: number, text: string): StreamEvent => ({ type: 'delta', jobId: JOB, attempt, text });
    const endOf = (attempt: number, text: string): StreamEvent => ({ ...end, attempt, text }) as StreamEvent;

    async function drain(handle: JobHandle): Promise<StreamEvent[]> {
      const out: StreamEvent[] = [];
      while (!handle.done || out.length === 0 || out.at(-1)!.type !== 'end') {
        const ev = await handle.next(Date.now() + 50);
        if (ev.type === 'error' && ev.code === 'timeout') break;
        out.push(ev);
        if (ev.type === 'end' || ev.type === 'error') break;
      }
      return out;
    }

    it('delivers only what follows the text the reader already had, and no second start', async () => {
      const { handle, cancelled } = makeHandle();
      handle.push(startOf(1));
      handle.push(deltaOf(1, 'Once up'));
      handle.push(startOf(2)); // the worker died; the retry replays the same seed
      handle.push(deltaOf(2, 'Once'));
      handle.push(deltaOf(2, ' upon a'));
      handle.push(deltaOf(2, ' time'));
      handle.push(endOf(2, 'Once upon a time'));
      const events = await drain(handle);
      expect(events.map((e) => e.type)).toEqual(['start', 'delta', 'delta', 'delta', 'end']);
      const text = events.flatMap((e) => (e.type === 'delta' ? [e.text] : [])).join('');
      expect(text).toBe('Once upon a time');
      expect(cancelled).toHaveLength(0);
    });

    it('ends with a terminal worker_failed error when the retry diverges, and stops the retry', async () => {
      const { handle, cancelled } = makeHandle();
      handle.push(startOf(1));
      handle.push(deltaOf(1, 'Once upon'));
      handle.push(startOf(2));
      handle.push(deltaOf(2, 'Once there'));
      handle.push(deltaOf(2, ' was'));
      const events = await drain(handle);
      const last = events.at(-1)!;
      expect(last).toMatchObject({ type: 'error', code: 'worker_failed', retrying: false });
      expect((last as { message: string }).message).toContain(CONTINUATION_FAILED);
      expect(events.filter((e) => e.type === 'delta')).toHaveLength(1);
      expect(cancelled).toHaveLength(1);
    });

    it('ends at once when the retry stops before reproducing the delivered text', async () => {
      const { handle } = makeHandle();
      handle.push(startOf(1));
      handle.push(deltaOf(1, 'Once upon a time'));
      handle.push(startOf(2));
      handle.push(deltaOf(2, 'Once'));
      handle.push(endOf(2, 'Once'));
      const last = (await drain(handle)).at(-1)!;
      expect(last).toMatchObject({ type: 'error', code: 'worker_failed' });
    });

    it('drops the events of a superseded attempt whose worker still runs', async () => {
      const { handle } = makeHandle();
      handle.push(startOf(1));
      handle.push(deltaOf(1, 'ab'));
      handle.push(startOf(2));
      handle.push(deltaOf(1, 'zz')); // the old worker, unaware it lost the job
      handle.push(deltaOf(2, 'abc'));
      handle.push(endOf(1, 'abzz'));
      handle.push(endOf(2, 'abc'));
      const events = await drain(handle);
      const text = events.flatMap((e) => (e.type === 'delta' ? [e.text] : [])).join('');
      expect(text).toBe('abc');
      expect(events.at(-1)).toMatchObject({ type: 'end', text: 'abc', attempt: 2 });
    });

    it('does not replay a stream that already sent function-call fragments: the stall ends it', async () => {
      const { handle, cancelled } = makeHandle();
      handle.push(startOf(1));
      handle.push({ type: 'tool_call', jobId: JOB, attempt: 1, index: 0, id: 'call_1', name: 'f', arguments: '{' });
      handle.stalled();
      const events = await drain(handle);
      expect(events.at(-1)).toMatchObject({ type: 'error', code: 'worker_failed', retrying: false });
      expect(cancelled).toHaveLength(1);
    });

    it('lets a stall pass when the stream can be replayed, and a retrying error too', async () => {
      const { handle } = makeHandle();
      handle.push(startOf(1));
      handle.push(deltaOf(1, 'ab'));
      handle.stalled();
      handle.push({ type: 'error', jobId: JOB, attempt: 1, code: 'worker_failed', message: 'x', retrying: true });
      handle.push(startOf(2));
      handle.push(deltaOf(2, 'abc'));
      handle.push(endOf(2, 'abc'));
      const events = await drain(handle);
      expect(events.map((e) => e.type)).toEqual(['start', 'delta', 'delta', 'end']);
    });
  });
});
