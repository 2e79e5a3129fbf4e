import { ExtractError } from './extract-error';

/**
 * A JSON document (or JSON Lines) as one `path: value` line per scalar, e.g. `orders[2].customer.name: Ada`.
 *
 * Why flattened rather than pretty-printed: a chunk cut from the middle of a large document keeps, on every line,
 * the key names that say what a value is (pretty JSON would leave `"Ada",` with its context in another chunk), and
 * the text has no brackets or quotes for the keyword index and the tokenizer to spend tokens on. Arrays of scalars
 * stay on one line (`tags: red, green`).
 */
export function jsonText(text: string, filename: string, lines: boolean): string {
  const out: string[] = [];
  if (lines) {
    text.split('\n').forEach((line, i) => {
      if (line.trim() === '') return;
      flatten(parse(line, filename, i + 1), `[${i}]`, out);
    });
  } else {
    flatten(parse(text, filename), '', out);
  }
  return out.join('\n');
}

function parse(text: string, filename: string, line?: number): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const where = line === undefined ? '' : ` (line ${line})`;
    throw new ExtractError('invalid_file', `${filename} is not valid JSON${where}: ${(err as Error).message}`);
  }
}

function flatten(value: unknown, path: string, out: string[]): void {
  if (Array.isArray(value)) {
    if (value.every(isScalar)) {
      out.push(line(path, value.map(scalar).join(', ')));
      return;
    }
    value.forEach((v, i) => flatten(v, `${path}[${i}]`, out));
    return;
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value);
    if (entries.length === 0) out.push(line(path, '{}'));
    for (const [k, v] of entries) flatten(v, join(path, k), out);
    return;
  }
  out.push(line(path, scalar(value)));
}

function isScalar(v: unknown): boolean {
  return v === null || typeof v !== 'object';
}

function scalar(v: unknown): string {
  return typeof v === 'string' ? v : String(v);
}

function join(path: string, key: string): string {
  const safe = /^[\p{L}_$][\p{L}\p{N}_$-]*$/u.test(key) ? key : `[${JSON.stringify(key)}]`;
  if (safe.startsWith('[')) return path + safe;
  return path ? `${path}.${safe}` : safe;
}

function line(path: string, value: string): string {
  return path ? `${path}: ${value}` : value;
}
