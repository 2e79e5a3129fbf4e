import { BatchEndpoint, BatchError, BatchInputLine, BatchInputLineSchema } from '@llmp/contracts';

export type ParsedBatchInput = { ok: true; lines: BatchInputLine[] } | { ok: false; errors: BatchError[] };

/** Most errors a failed validation reports (OpenAI lists a handful, not one per line of a large file). */
const MAX_REPORTED_ERRORS = 20;

/**
 * Validates a batch input file as OpenAI does before anything runs: JSONL, each line `{custom_id, method: "POST",
 * url, body}`, `url` the batch's endpoint, `custom_id` unique, at most `maxLines` lines. Any such error fails the
 * whole batch (status `failed` with `errors`, line numbers from 1). What a line's `body` holds is not checked here:
 * each body is validated like the interactive request when its line runs, and a bad one becomes an error line.
 */
export function parseBatchInput(bytes: Buffer, endpoint: BatchEndpoint, maxLines: number): ParsedBatchInput {
  const errors: BatchError[] = [];
  const lines: BatchInputLine[] = [];
  const seen = new Set<string>();
  const add = (e: BatchError) => {
    if (errors.length < MAX_REPORTED_ERRORS) errors.push(e);
  };
  const rows = bytes.toString('utf8').split('\n');
  for (const [i, text] of rows.entries()) {
    const line = i + 1;
    if (!text.trim()) continue;
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      add({ code: 'invalid_json_line', message: `Line ${line} is not valid JSON.`, param: null, line });
      continue;
    }
    const parsed = BatchInputLineSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const param = issue.path.join('.') || null;
      add({ code: 'invalid_request', message: `Line ${line}: ${param ?? 'line'}: ${issue.message}.`, param, line });
      continue;
    }
    if (parsed.data.url !== endpoint) {
      add({
        code: 'mismatched_endpoint',
        message: `Line ${line}: the url '${parsed.data.url}' is not the batch's endpoint '${endpoint}'.`,
        param: 'url',
        line,
      });
      continue;
    }
    if (seen.has(parsed.data.custom_id)) {
      add({
        code: 'duplicate_custom_id',
        message: `Line ${line}: the custom_id '${parsed.data.custom_id}' is used by an earlier line; each must be unique.`,
        param: 'custom_id',
        line,
      });
      continue;
    }
    seen.add(parsed.data.custom_id);
    lines.push(parsed.data);
  }
  if (!errors.length && lines.length === 0) {
    add({ code: 'empty_file', message: 'The input file has no requests.', param: null, line: null });
  }
  if (!errors.length && lines.length > maxLines) {
    add({
      code: 'too_many_requests',
      message: `The input file has ${lines.length} requests; a batch may have at most ${maxLines}.`,
      param: null,
      line: null,
    });
  }
  return errors.length ? { ok: false, errors } : { ok: true, lines };
}
