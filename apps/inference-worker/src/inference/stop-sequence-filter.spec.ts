import { StopSequenceFilter } from './stop-sequence-filter';

function run(stops: string[], chunks: string[]): { out: string; stopped: boolean } {
  const f = new StopSequenceFilter(stops);
  let out = '';
  for (const c of chunks) {
    out += f.push(c);
    if (f.stopped) break;
  }
  out += f.flush();
  return { out, stopped: f.stopped };
}

describe('StopSequenceFilter', () => {
  it('passes text through when there are no stops', () => {
    expect(run([], ['a', 'b'])).toEqual({ out: 'ab', stopped: false });
  });

  it('cuts before a stop string inside one chunk', () => {
    expect(run(['END'], ['hello END world'])).toEqual({ out: 'hello ', stopped: true });
  });

  it('detects a stop string spanning chunks, with its leading space', () => {
    expect(run([' girl'], ['a little', ' g', 'ir', 'l named'])).toEqual({ out: 'a little', stopped: true });
  });

  it('reports the stop sequence that ended the text: the earliest one', () => {
    const f = new StopSequenceFilter(['world', ' w', 'END']);
    expect(f.matched).toBeNull();
    expect(f.push('hello END wor')).toBe('hello ');
    expect(f.matched).toBe('END');
    const none = new StopSequenceFilter(['END']);
    none.push('no stop here');
    none.flush();
    expect(none.matched).toBeNull();
  });

  it('never emits a held-back prefix that turns into a stop', () => {
    const f = new StopSequenceFilter(['abc']);
    expect(f.push('xa')).toBe('x');
    expect(f.push('b')).toBe('');
    expect(f.push('c')).toBe('');
    expect(f.stopped).toBe(true);
  });

  it('releases a held-back prefix that did not become a stop', () => {
    const f = new StopSequenceFilter(['abc']);
    expect(f.push('xab')).toBe('x');
    expect(f.push('d')).toBe('abd');
    expect(f.push('a')).toBe('');
    expect(f.flush()).toBe('a');
  });

  it('uses the earliest of several stops', () => {
    expect(run(['world', 'lo w'], ['hello world'])).toEqual({ out: 'hel', stopped: true });
  });
});
