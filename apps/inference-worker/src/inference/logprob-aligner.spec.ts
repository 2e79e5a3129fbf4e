import type { TokenLogprob } from '@llmp/contracts';
import { LogprobAligner } from './logprob-aligner';

const entry = (token: string, logprob = -0.5): TokenLogprob => ({
  token,
  logprob,
  bytes: [...Buffer.from(token)],
  top_logprobs: [],
});

describe('LogprobAligner', () => {
  it('releases text only at token boundaries, each batch with exactly its tokens', () => {
    const a = new LogprobAligner();
    a.push([entry('Once'), entry(' upon'), entry(' a')]);
    expect(a.take('On')).toEqual({ text: '', logprobs: [] });
    expect(a.take('ce up')).toEqual({ text: 'Once', logprobs: [entry('Once')] });
    expect(a.take('on a')).toEqual({ text: ' upon a', logprobs: [entry(' upon'), entry(' a')] });
    expect(a.finish()).toEqual({ text: '', logprobs: [] });
  });

  it('lets a token that starts a character go out with no text of its own', () => {
    const a = new LogprobAligner();
    a.push([entry('caf'), entry(''), entry('é')]);
    const out = a.take('café');
    expect(out.text).toBe('café');
    expect(out.logprobs.map((e) => e.token)).toEqual(['caf', '', 'é']);
  });

  it('truncates the token a stop sequence cut and drops the tokens after it', () => {
    const a = new LogprobAligner();
    a.push([entry(' big'), entry(' dog.', -0.25), entry(' The')]);
    // The filter emitted " big dog" and stopped at ".".
    expect(a.take(' big dog')).toEqual({ text: ' big', logprobs: [entry(' big')] });
    const end = a.finish();
    expect(end.text).toBe(' dog');
    expect(end.logprobs).toEqual([
      { token: ' dog', logprob: -0.25, bytes: [...Buffer.from(' dog')], top_logprobs: [] },
    ]);
  });

  it('never loses emitted text, even without entries for it', () => {
    const a = new LogprobAligner();
    a.take('lost?');
    expect(a.finish()).toEqual({ text: 'lost?', logprobs: [] });
  });
});
