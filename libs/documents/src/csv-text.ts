import { parse } from 'csv-parse/sync';
import { ExtractError } from './extract-error';

/**
 * A CSV (or TSV) table as one line per data row, `header: value, header: value`, so that every chunk carries the
 * column names its values belong to. Empty cells are left out. The delimiter is the one of `, ; \t |` that occurs
 * most in the first line (tab for `.tsv`).
 */
export function csvText(text: string, filename: string): string {
  const delimiter = filename.toLowerCase().endsWith('.tsv') ? '\t' : guessDelimiter(text);
  let rows: string[][];
  try {
    rows = parse(text, { delimiter, relax_column_count: true, skip_empty_lines: true, trim: true }) as string[][];
  } catch (err) {
    throw new ExtractError('invalid_file', `${filename} is not valid CSV: ${(err as Error).message}`);
  }
  const [header = [], ...data] = rows;
  const names = header.map((h, i) => h || `column ${i + 1}`);
  if (data.length === 0) return header.join(', ');
  return data
    .map((row) =>
      row
        .map((cell, i) => (cell === '' ? null : `${names[i] ?? `column ${i + 1}`}: ${cell}`))
        .filter((c) => c !== null)
        .join(', '),
    )
    .filter((l) => l !== '')
    .join('\n');
}

function guessDelimiter(text: string): string {
  const nl = text.indexOf('\n');
  const first = (nl < 0 ? text : text.slice(0, nl)).replace(/"[^"]*"/g, '');
  let best = ',';
  let most = 0;
  for (const d of [',', ';', '\t', '|']) {
    const n = first.split(d).length - 1;
    if (n > most) [best, most] = [d, n];
  }
  return best;
}
