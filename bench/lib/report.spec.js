// The report builder on two results files (trimmed copies of real ones): `npx jest -c bench/jest.config.js`.
// It runs the real command, `node bench/run.mjs report --results DIR`, on a temporary folder. CommonJS, so Jest
// runs it without a transform or its experimental ES-module mode (bench/ is ES modules otherwise).
/* eslint-disable @typescript-eslint/no-require-imports */
const { afterAll, beforeAll, describe, expect, it } = require('@jest/globals');
const { execFileSync } = require('node:child_process');
const { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

const FIXTURES = join(__dirname, 'fixtures', 'report');
const RUN = join(__dirname, '..', 'run.mjs');
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

describe('npm run bench -- report', () => {
  let dir;
  let report;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'bench-report-'));
    for (const f of readdirSync(FIXTURES)) copyFileSync(join(FIXTURES, f), join(dir, f));
    execFileSync(process.execPath, [RUN, 'report', '--results', dir], { stdio: 'pipe' });
    report = readFileSync(join(dir, 'REPORT.md'), 'utf8');
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('has a section per benchmark with its headline figures and its own table', () => {
    expect(report).toContain('## inference: stories260k');
    expect(report).toContain('## embeddings: sentences');
    // Headlines, computed from the JSON: in-process and platform tok/s at concurrency 1 / 8 and their ratios.
    expect(report).toContain('node-llama-cpp in-process 1733 / 2072; platform 1444 / 1881 (83.3% / 90.8%)');
    expect(report).toContain('platform 728 texts/s with 32 clients: 4.98x one at a time, 6.6% of in-process batched');
    // The key table, quoted from each benchmark's .md.
    expect(report).toMatch(/\| decode throughput, concurrency 1 \(tok\/s\) +\| 1733\.2 +\| 1443\.9 /);
    expect(report).toMatch(/\| \(3\) platform, 32 concurrent single-text clients +\| 728\.2 /);
  });

  it('says "not run" for a benchmark of the all-run that has no results file', () => {
    expect(report).toMatch(/## auth\s+\*\*not run\.\*\* Run it with `npm run bench -- auth`/);
    expect(report).toContain('No result has a memory series yet');
  });

  it('writes every chart it links as a PNG image', () => {
    const links = [...report.matchAll(/\]\((charts\/[^)]+\.png)\)/g)].map((m) => m[1]);
    expect(links).toEqual(
      expect.arrayContaining([
        'charts/inference-stories260k-throughput.png',
        'charts/inference-stories260k-ttft.png',
        'charts/embeddings-sentences-batching.png',
      ]),
    );
    for (const link of links) {
      const png = readFileSync(join(dir, link));
      expect(png.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
      expect(png.length).toBeGreaterThan(5000);
    }
  });

  it('writes the combined results of the date with what was found', () => {
    const dated = readdirSync(dir).find((f) => /^\d{4}-\d{2}-\d{2}\.json$/.test(f));
    expect(dated).toBeDefined();
    const combined = JSON.parse(readFileSync(join(dir, dated), 'utf8'));
    expect(combined.mode).toBe('report');
    expect(combined.benchmarks['inference-stories260k'].result.summary.platform.throughput_c8_tok_s).toBe(1880.5);
    expect(combined.benchmarks['embeddings-sentences'].status).toBe('on file');
    expect(combined.benchmarks.auth.status).toBe('not run');
    expect(existsSync(join(dir, 'charts', 'auth-throughput.png'))).toBe(false);
    expect(statSync(join(dir, dated)).size).toBeGreaterThan(0);
  });
});
