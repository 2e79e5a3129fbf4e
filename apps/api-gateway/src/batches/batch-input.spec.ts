import { parseBatchInput } from './batch-input';

const line = (custom_id: string, url = '/v1/chat/completions', extra: Record<string, unknown> = {}) =>
  JSON.stringify({ custom_id, method: 'POST', url, body: { model: 'm', messages: [] }, ...extra });

describe('parseBatchInput', () => {
  it('accepts JSONL lines for the batch endpoint, blank lines skipped', () => {
    const parsed = parseBatchInput(Buffer.from(`${line('a')}\n\n${line('b')}\n`), '/v1/chat/completions', 10);
    expect(parsed.ok && parsed.lines.map((l) => l.custom_id)).toEqual(['a', 'b']);
  });

  it('fails the batch with numbered errors for broken JSON, another url and a repeated custom_id', () => {
    const text = [line('a'), '{oops', line('b', '/v1/embeddings'), line('a'), JSON.stringify({ custom_id: 'c' })];
    const parsed = parseBatchInput(Buffer.from(text.join('\n')), '/v1/chat/completions', 10);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.errors.map((e) => [e.code, e.line])).toEqual([
      ['invalid_json_line', 2],
      ['mismatched_endpoint', 3],
      ['duplicate_custom_id', 4],
      ['invalid_request', 5],
    ]);
  });

  it('refuses an empty file and one over the line limit', () => {
    expect(parseBatchInput(Buffer.from('\n'), '/v1/completions', 10)).toMatchObject({
      ok: false,
      errors: [{ code: 'empty_file' }],
    });
    const three = [line('a', '/v1/completions'), line('b', '/v1/completions'), line('c', '/v1/completions')];
    expect(parseBatchInput(Buffer.from(three.join('\n')), '/v1/completions', 2)).toMatchObject({
      ok: false,
      errors: [{ code: 'too_many_requests' }],
    });
  });
});
