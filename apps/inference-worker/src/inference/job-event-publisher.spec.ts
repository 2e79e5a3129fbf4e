import type { Redis } from 'ioredis';
import type { StreamEvent, TokenLogprob } from '@llmp/contracts';
import { JobEventPublisher } from './job-event-publisher';

const entry = (token: string): TokenLogprob => ({
  token,
  logprob: -1,
  bytes: [...Buffer.from(token)],
  top_logprobs: [],
});

/** The messages a gateway would receive on the channel, parsed. */
function channel() {
  const messages: StreamEvent[] = [];
  const redis = {
    publish: (_channel: string, message: string) => {
      messages.push(JSON.parse(message) as StreamEvent);
      return Promise.resolve(1);
    },
  } as unknown as Redis;
  return { redis, messages };
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('JobEventPublisher with logprobs', () => {
  it('coalesces deltas keeping every token entry, in order, lined up with the text', async () => {
    const { redis, messages } = channel();
    const events = new JobEventPublisher(redis, 'reply', 'job-1', 50);
    events.delta('Once', [entry('Once')]);
    events.delta(' upon', [entry(' upon')]);
    events.delta('', [entry('')]);
    events.delta('é', [entry('é')]);
    await nextTurn();
    expect(messages).toEqual([
      {
        type: 'delta',
        jobId: 'job-1',
        text: 'Once uponé',
        logprobs: [entry('Once'), entry(' upon'), entry(''), entry('é')],
      },
    ]);
  });

  it('never puts an echoed prompt (text without entries) in the same message as generated tokens', async () => {
    const { redis, messages } = channel();
    const events = new JobEventPublisher(redis, 'reply', 'job-2', 50);
    events.delta('Once upon a time');
    events.delta(',', [entry(',')]);
    await nextTurn();
    expect(messages).toEqual([
      { type: 'delta', jobId: 'job-2', text: 'Once upon a time' },
      { type: 'delta', jobId: 'job-2', text: ',', logprobs: [entry(',')] },
    ]);
  });

  it('puts the entries on end when the result has them, and nothing when it has none', () => {
    const { redis, messages } = channel();
    const usage = { promptTokens: 3, completionTokens: 1 };
    new JobEventPublisher(redis, 'reply', 'a', 0).end({
      text: ',',
      finishReason: 'length',
      usage,
      logprobs: [entry(',')],
    });
    new JobEventPublisher(redis, 'reply', 'b', 0).end({ text: ',', finishReason: 'length', usage });
    expect(messages).toEqual([
      { type: 'end', jobId: 'a', text: ',', finishReason: 'length', usage, logprobs: [entry(',')] },
      { type: 'end', jobId: 'b', text: ',', finishReason: 'length', usage },
    ]);
  });
});
