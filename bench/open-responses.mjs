// Open Responses compliance check (a manual check, not a benchmark: it measures nothing and writes no results).
// Starts the platform from a build (auth, inference worker, chat-history and gateway on a private redis-server, a
// throw-away database and a freshly minted API key), runs the public Open Responses compliance suite
// (github.com/openresponses/openresponses, `bin/compliance-test.ts`, run with bun) against its /v1 and prints each
// test's result with its errors.
//
//   node bench/open-responses.mjs --suite /path/to/openresponses [--filter basic-response,streaming-response]
//                                 [--verbose] [--json FILE] [--model stories260k] [--max-tokens 256]
//                                 [--runner PATH_TO_BUN] [--dist DIR] [--keep]
//
// The suite's folder comes from --suite or OPEN_RESPONSES_DIR. It needs zod 3 and bun, not its whole package.json
// (astro and the rest): e.g. `npm i bun zod@3.25.76` in a folder of its own, linked as <suite>/node_modules; its
// node_modules/.bin/bun is used when present, else `bun` on the PATH (or --runner).
// --dist runs another build (e.g. a copy of dist/ others cannot rebuild under you); its packages must resolve from
// there (a node_modules link beside it). --keep leaves the platform running after the suite (Ctrl-C stops it).
// Exits 1 when a test fails. Everything it starts is stopped at the end; its database and Redis keys are deleted.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { REPO_ROOT, parseArgs, runMain } from './lib/common.mjs';
import { authDatabase, freePort, mintApiKey, startApp, startRun, track, waitReady } from './lib/platform.mjs';

const SHARED = resolve(REPO_ROOT, '..', 'shared');
const MODEL_FILES = {
  stories260k: 'stories260K.gguf',
};

function usage() {
  return (
    'Usage: node bench/open-responses.mjs --suite DIR (or OPEN_RESPONSES_DIR) [--filter ids] [--verbose] ' +
    '[--json FILE] [--model stories260k] [--max-tokens N] [--runner BUN] [--dist DIR] [--keep] ' +
    '[--redis-url URL] [--pg-admin-url URL]'
  );
}

/** Runs the suite's CLI with `--json`; resolves to its parsed report (and its exit code). */
function runSuite(suiteDir, runner, args) {
  return new Promise((resolvePromise, reject) => {
    const child = track(
      spawn(runner, ['run', 'bin/compliance-test.ts', ...args, '--json'], {
        cwd: suiteDir,
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.once('error', (e) => reject(new Error(`cannot run ${runner}: ${e.message}`)));
    child.once('exit', (code) => {
      const start = out.indexOf('{');
      try {
        resolvePromise({ code, report: JSON.parse(out.slice(start)) });
      } catch {
        reject(new Error(`the suite exited with ${code} without a JSON report:\n${out}\n${err}`));
      }
    });
  });
}

function printReport(report, verbose) {
  const mark = { passed: 'PASS', failed: 'FAIL', skipped: 'SKIP' };
  for (const r of report.results) {
    const events = r.streamEvents !== undefined ? `, ${r.streamEvents} events` : '';
    console.log(`${mark[r.status] ?? r.status}  ${r.id} (${r.name}; ${r.duration ?? 0} ms${events})`);
    for (const e of r.errors ?? []) console.log(`      - ${e}`);
    if (verbose && r.status === 'failed') {
      console.log(`      request: ${JSON.stringify(r.request)}`);
      const body = typeof r.response === 'string' ? r.response : JSON.stringify(r.response);
      if (body !== undefined) console.log(`      response: ${body}`);
    }
  }
  const s = report.summary;
  console.log(`\n${s.passed} passed, ${s.failed} failed, ${s.skipped} skipped, ${s.total} total`);
}

async function main() {
  const opts = parseArgs(process.argv.slice(2), {
    suite: process.env.OPEN_RESPONSES_DIR ?? '',
    filter: '',
    verbose: false,
    json: '',
    model: 'stories260k',
    maxTokens: 256,
    runner: '',
    dist: 'dist',
    keep: false,
    redisUrl: '',
    pgAdminUrl: process.env.PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    help: false,
  });
  if (opts.help) {
    console.log(usage());
    return;
  }
  if (!opts.suite) throw new Error(`No suite folder: give --suite DIR or set OPEN_RESPONSES_DIR.\n${usage()}`);
  const suiteDir = resolve(opts.suite);
  if (!existsSync(join(suiteDir, 'bin', 'compliance-test.ts'))) {
    throw new Error(`${suiteDir} has no bin/compliance-test.ts: is it a checkout of openresponses/openresponses?`);
  }
  const localBun = join(suiteDir, 'node_modules', '.bin', 'bun');
  const runner = opts.runner || (existsSync(localBun) ? localBun : 'bun');
  const distDir = resolve(REPO_ROOT, opts.dist);
  const file = MODEL_FILES[opts.model];
  if (!file) throw new Error(`Unknown --model ${opts.model}; one of: ${Object.keys(MODEL_FILES).join(', ')}`);
  const modelPath = join(SHARED, 'models', file);
  if (!existsSync(modelPath)) throw new Error(`Model file not found: ${modelPath}`);

  const runId = `openresponses-${Date.now()}`;
  const scratch = join(tmpdir(), runId);
  mkdirSync(join(scratch, 'vectors'), { recursive: true });
  const yamlPath = join(scratch, 'models.yaml');
  writeFileSync(
    yamlPath,
    [
      'models:',
      `  - id: ${opts.model}`,
      `    path: ${JSON.stringify(modelPath)}`,
      '    capabilities: [chat, completion]',
      '    context_size: 2048',
      '    slots: 8',
      '    threads: 1',
      '    gpu: false',
      `    default_max_tokens: ${opts.maxTokens}`,
      '',
    ].join('\n'),
  );

  let db = null;
  const { redisUrl, cleanup } = await startRun({
    scratch,
    redisUrl: opts.redisUrl,
    keys: `${runId}*`,
    database: () => db,
  });
  let failed = false;
  try {
    db = await authDatabase(runId, opts.pgAdminUrl);
    const base = {
      ...process.env,
      LOG_LEVEL: 'warn',
      REDIS_URL: redisUrl,
      QUEUE_PREFIX: runId,
      MODELS_CONFIG: yamlPath,
      VECTOR_STORE_DIR: join(scratch, 'vectors'),
      ...db.env,
    };
    const start = async (name, extra = {}) => {
      const app = startApp(distDir, name, { ...base, ...extra, PORT: String(await freePort()) });
      await waitReady(app);
      return app;
    };
    await start('auth');
    await start('inference-worker', { WORKER_MODELS: opts.model });
    // No embedding worker: memory recall and summaries are off, stored responses and conversations work as usual.
    await start('chat-history', { CHAT_MEMORY_ENABLED: 'false', CHAT_SUMMARY_TRIGGER_ITEMS: '0' });
    const gateway = await start('api-gateway', { HOST: '127.0.0.1' });
    const apiKey = await mintApiKey(gateway.url, db.admin);
    const baseUrl = `${gateway.url}/v1`;
    console.log(`platform up: ${baseUrl} (model ${opts.model}, default_max_tokens ${opts.maxTokens})`);
    console.log(`suite: ${suiteDir} (runner ${runner})\n`);

    const args = ['--base-url', baseUrl, '--api-key', apiKey, '--model', opts.model];
    if (opts.filter) args.push('--filter', opts.filter);
    const { report } = await runSuite(suiteDir, runner, args);
    printReport(report, opts.verbose);
    if (opts.json) {
      writeFileSync(resolve(opts.json), `${JSON.stringify(report, null, 2)}\n`);
      console.log(`wrote ${opts.json}`);
    }
    failed = report.summary.failed > 0;

    if (opts.keep) {
      console.log(`\nplatform still running: ${baseUrl}\nAPI key: ${apiKey}\nCtrl-C stops it.`);
      await new Promise(() => undefined);
    }
  } finally {
    await cleanup();
  }
  if (failed) process.exitCode = 1;
}

await runMain(main);
