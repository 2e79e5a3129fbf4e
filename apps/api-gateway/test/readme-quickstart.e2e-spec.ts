// End-to-end: the README's quick start, run as written. The shell block that exports OPENAI_API_KEY from
// data/dev-api-key and the OpenAI client example after it are taken from README.md verbatim; the platform runs as
// real processes with the auth app writing its dev API key where the shell block reads it, and the gateway on the
// port the example names (8000).
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT, RunningApp, RunningPlatform, startApp, startPlatform } from '@llmp/testing';

jest.setTimeout(180_000);

const run = promisify(execFile);

/** The first fenced block of `lang` in `markdown` at or after `from` whose text contains `marker`. */
function fencedBlock(markdown: string, lang: string, marker: string, from = 0): { code: string; end: number } {
  const fence = new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g');
  fence.lastIndex = from;
  for (let m = fence.exec(markdown); m; m = fence.exec(markdown)) {
    if (m[1]!.includes(marker)) return { code: m[1]!, end: fence.lastIndex };
  }
  throw new Error(`README.md has no \`\`\`${lang} block containing '${marker}'`);
}

async function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '0.0.0.0', () => srv.close(() => resolve(true)));
  });
}

const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
const quickStart = readme.slice(
  readme.indexOf('## Quick start'),
  readme.indexOf('\n## ', readme.indexOf('## Quick start') + 1),
);
const shell = fencedBlock(quickStart, 'bash', 'OPENAI_API_KEY');
const example = fencedBlock(quickStart, 'ts', 'new OpenAI(', shell.end);
const port = Number(/localhost:(\d+)/.exec(example.code)?.[1] ?? NaN);

// A directory inside the repository, so the example's `import 'openai'` resolves from the repository's packages,
// standing in for the repository root where the README says to run the commands.
const workDir = mkdtempSync(join(REPO_ROOT, 'tmp-readme-'));
let platform: RunningPlatform;
let gateway: RunningApp;

beforeAll(async () => {
  expect(port).toBe(8000);
  if (!(await portIsFree(port))) throw new Error(`port ${port} is in use: the README example needs it free`);
  mkdirSync(join(workDir, 'data'));
  platform = await startPlatform({
    workerModels: 'stories260k',
    env: { AUTH_DEV_API_KEY_FILE: join(workDir, 'data', 'dev-api-key') },
  });
  gateway = await startApp('api-gateway', platform.env, { port, readyPath: '/health/ready' });
});

afterAll(async () => {
  await gateway?.stop();
  await platform?.stop();
  rmSync(workDir, { recursive: true, force: true });
});

describe('README quick start', () => {
  it('the shell block and the OpenAI client example work as written', async () => {
    expect(shell.code).toContain('data/dev-api-key');
    writeFileSync(join(workDir, 'example.mjs'), example.code);
    const { stdout } = await run('bash', ['-c', `set -euo pipefail\n${shell.code}\nnode example.mjs`], {
      cwd: workDir,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
      timeout: 60_000,
    });
    // The example streams a story to stdout: stories260k always writes some words.
    expect(stdout.trim().length).toBeGreaterThan(10);
    expect(stdout).toMatch(/[a-z]+ [a-z]+/i);
  });

  it('the key in data/dev-api-key is a working key of the local admin, and only that file holds it', async () => {
    const key = readFileSync(join(workDir, 'data', 'dev-api-key'), 'utf8').trim();
    expect(key).toMatch(/^sk-/);
    const res = await fetch(`http://127.0.0.1:${port}/v1/auth/me`, { headers: { authorization: `Bearer ${key}` } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { username: string }).username).toBe('admin');
    expect(platform.auth.log()).not.toContain(key);
  });
});
