/**
 * The inference worker's llama-server engine (`engine: llama-server`), as real processes: a gateway and a worker
 * serving the same GGUF file twice, once on node-llama-cpp in-process (`stories260k`) and once through a supervised
 * llama-server (`stories260k-ls`), called with the official `openai` SDK. Greedy output must be the same text from
 * both engines (same llama.cpp, same tokens); streams, stop sequences, limits, seeds, cancellation, function calling
 * (which stays on node-llama-cpp) and a killed llama-server (restarted by the worker) behave as on the in-process
 * engine.
 *
 * The llama-server binary comes from LLAMA_SERVER_BIN or the build cache of `npm run llama-server:build` (built
 * here from node-llama-cpp's bundled llama.cpp source when missing: about 7 minutes, once per machine).
 * Needs a build first: `node infra/scripts/build.mjs && npx jest apps/inference-worker/test/llama-server-engine`.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { OpenAI } from 'openai';
import {
  REPO_ROOT,
  RunningPlatform,
  TEST_REDIS_URL,
  createQueuePrefix,
  freePort,
  runToExit,
  startApp,
  startPlatform,
} from '@llmp/testing';

const STORIES_GGUF = resolve(REPO_ROOT, '../shared/models/stories260K.gguf');
const IN_PROCESS = 'stories260k';
const SERVER = 'stories260k-ls';

function llamaServerBinary(): string {
  return execFileSync(process.execPath, [resolve(REPO_ROOT, 'infra/scripts/llama-server.mjs')], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
}

function modelsYaml(): string {
  const model = (id: string, engine: string) =>
    [
      `  - id: ${id}`,
      `    path: ${STORIES_GGUF}`,
      '    capabilities: [chat, completion]',
      '    context_size: 1024',
      '    slots: 2',
      '    threads: 1',
      '    gpu: false',
      '    default_max_tokens: 64',
      `    engine: ${engine}`,
    ].join('\n');
  return `models:\n${model(IN_PROCESS, 'node-llama-cpp')}\n${model(SERVER, 'llama-server')}\n`;
}

function pgrep(args: string[]): number[] {
  try {
    return execFileSync('pgrep', args, { encoding: 'utf8' }).trim().split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** The pids of the worker's llama-server processes (each runs under a watching shell the worker spawned). */
function llamaServerPids(workerPid: number): number[] {
  return pgrep(['-P', String(workerPid)]).flatMap((shell) => pgrep(['-P', String(shell), '-x', 'llama-server']));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('llama-server engine (gateway + worker + supervised llama-server as processes)', () => {
  let dir: string;
  let bin: string;
  let platform: RunningPlatform | undefined;
  let client: OpenAI;

  beforeAll(async () => {
    bin = llamaServerBinary();
    dir = mkdtempSync(join(tmpdir(), 'llmp-llama-server-'));
    const config = join(dir, 'models.yaml');
    writeFileSync(config, modelsYaml());
    platform = await startPlatform({
      env: { LOG_LEVEL: 'warn', MODELS_CONFIG: config },
      workerEnv: { LLAMA_SERVER_BIN: bin },
    });
    client = new OpenAI({ baseURL: `${platform.gateway.url}/v1`, apiKey: platform.apiKey, maxRetries: 0 });
  }, 1_200_000);

  afterAll(async () => {
    await platform?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('gives the same greedy text as the in-process engine, for completions and chat', async () => {
    const complete = (model: string) =>
      client.completions.create({ model, prompt: 'Once upon a time', max_tokens: 24, temperature: 0 });
    const [a, b] = [await complete(IN_PROCESS), await complete(SERVER)];
    expect(b.choices[0]!.text.length).toBeGreaterThan(10);
    expect(b.choices[0]!.text).toBe(a.choices[0]!.text);
    expect(b.usage).toEqual(a.usage);
    expect(b.choices[0]!.finish_reason).toBe('length');

    const chat = (model: string) =>
      client.chat.completions.create({
        model,
        messages: [
          { role: 'system', content: 'You tell short stories.' },
          { role: 'user', content: 'Tell me about a cat.' },
        ],
        max_tokens: 24,
        temperature: 0,
      });
    const [c, d] = [await chat(IN_PROCESS), await chat(SERVER)];
    expect(d.choices[0]!.message.content!.length).toBeGreaterThan(5);
    expect(d.choices[0]!.message.content).toBe(c.choices[0]!.message.content);
    expect(d.usage?.prompt_tokens).toBe(c.usage?.prompt_tokens);
    expect(d.usage?.completion_tokens).toBe(c.usage?.completion_tokens);
  });

  it('streams in pieces with usage, and a seed reproduces a sampled answer', async () => {
    // Long enough to outlast the worker's 16 ms stream flush interval several times.
    const stream = await client.chat.completions.create({
      model: SERVER,
      messages: [{ role: 'user', content: 'Once upon a time' }],
      max_tokens: 200,
      temperature: 0,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let deltas = 0;
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta?.content;
      if (delta) {
        text += delta;
        deltas++;
      }
      if (chunk.usage) usage = chunk.usage;
    }
    expect(deltas).toBeGreaterThan(1);
    expect(usage?.completion_tokens).toBe(200);
    const whole = await client.chat.completions.create({
      model: SERVER,
      messages: [{ role: 'user', content: 'Once upon a time' }],
      max_tokens: 200,
      temperature: 0,
    });
    expect(text).toBe(whole.choices[0]!.message.content);

    const sampled = () =>
      client.completions.create({ model: SERVER, prompt: 'The dog', max_tokens: 24, temperature: 1, seed: 42 });
    const [x, y] = [await sampled(), await sampled()];
    expect(x.choices[0]!.text).toBe(y.choices[0]!.text);
  });

  it('ends at a stop sequence without emitting it', async () => {
    const free = await client.completions.create({
      model: SERVER,
      prompt: 'Once upon a time',
      max_tokens: 40,
      temperature: 0,
    });
    const text = free.choices[0]!.text;
    const word = text.trim().split(/\s+/)[3]!;
    const stopped = await client.completions.create({
      model: SERVER,
      prompt: 'Once upon a time',
      max_tokens: 40,
      temperature: 0,
      stop: [word],
    });
    expect(stopped.choices[0]!.finish_reason).toBe('stop');
    expect(stopped.choices[0]!.text).toBe(text.slice(0, text.indexOf(word)));
  });

  it('serves function calling on node-llama-cpp in the same worker', async () => {
    const res = await client.chat.completions.create({
      model: SERVER,
      messages: [{ role: 'user', content: 'What time is it in Paris?' }],
      tools: [
        {
          type: 'function',
          function: {
            name: 'get_time',
            parameters: {
              type: 'object',
              properties: { city: { type: 'string', enum: ['Paris', 'Rome'] } },
              required: ['city'],
            },
          },
        },
      ],
      tool_choice: 'required',
      max_tokens: 100,
    });
    const call = res.choices[0]!.message.tool_calls?.[0];
    expect(res.choices[0]!.finish_reason).toBe('tool_calls');
    expect(call?.type === 'function' && call.function.name).toBe('get_time');
    const args = call?.type === 'function' ? (JSON.parse(call.function.arguments) as { city: string }) : null;
    expect(['Paris', 'Rome']).toContain(args?.city);
  });

  it('decodes a json_schema response format under its grammar on llama-server', async () => {
    const format = (model: string) =>
      client.chat.completions.create({
        model,
        messages: [{ role: 'user', content: 'A pet, as JSON.' }],
        response_format: {
          type: 'json_schema',
          json_schema: {
            name: 'pet',
            strict: true,
            schema: {
              type: 'object',
              properties: { kind: { type: 'string', enum: ['cat', 'dog'] }, age: { type: 'integer' } },
              required: ['kind', 'age'],
              additionalProperties: false,
            },
          },
        },
        max_tokens: 60,
        temperature: 0,
      });
    const [res, ref] = [await format(SERVER), await format(IN_PROCESS)];
    expect(res.choices[0]!.finish_reason).toBe('stop');
    const pet = JSON.parse(res.choices[0]!.message.content!) as { kind: string; age: number };
    expect(['cat', 'dog']).toContain(pet.kind);
    expect(Number.isInteger(pet.age)).toBe(true);
    expect(res.choices[0]!.message.content).toBe(ref.choices[0]!.message.content);
  });

  it('frees the slot of a stream the client abandons', async () => {
    // Both slots are taken by streams that would run for 400 tokens, and abandoned after their first delta.
    for (let i = 0; i < 2; i++) {
      const controller = new AbortController();
      const stream = await client.completions.create(
        { model: SERVER, prompt: 'Once upon a time', max_tokens: 400, temperature: 1, stream: true },
        { signal: controller.signal },
      );
      for await (const chunk of stream) {
        if (chunk.choices[0]?.text) break;
      }
      controller.abort();
    }
    const t0 = performance.now();
    const next = await client.completions.create({ model: SERVER, prompt: 'The cat', max_tokens: 8, temperature: 0 });
    expect(next.choices[0]!.text.length).toBeGreaterThan(0);
    // 400 tokens each would take over a second on stories260K; a freed slot answers at once.
    expect(performance.now() - t0).toBeLessThan(5000);
  });

  it('decodes plain generations on its llama-server: with the server paused, they wait; node-llama-cpp answers', async () => {
    // Without this, every test above would still pass if the worker quietly served the model on node-llama-cpp.
    const [server] = llamaServerPids(platform!.worker!.proc.pid!);
    expect(server).toBeDefined();
    process.kill(server!, 'SIGSTOP');
    let settled = false;
    let waiting: Promise<string>;
    try {
      waiting = client.completions
        .create({ model: SERVER, prompt: 'Once upon a time', max_tokens: 8, temperature: 0 })
        .then((r) => r.choices[0]!.text)
        .finally(() => (settled = true));
      const other = await client.completions.create({
        model: IN_PROCESS,
        prompt: 'Once upon a time',
        max_tokens: 8,
        temperature: 0,
      });
      expect(other.choices[0]!.text.length).toBeGreaterThan(0);
      await new Promise((r) => setTimeout(r, 1000));
      expect(settled).toBe(false);
    } finally {
      process.kill(server!, 'SIGCONT');
    }
    expect((await waiting!).length).toBeGreaterThan(0);
  });

  it('restarts a llama-server that dies, and serves again', async () => {
    const worker = platform!.worker!;
    const [pid] = llamaServerPids(worker.proc.pid!);
    expect(pid).toBeDefined();
    process.kill(pid!, 'SIGKILL');
    const deadline = Date.now() + 30_000;
    let served = '';
    while (Date.now() < deadline) {
      const pids = llamaServerPids(worker.proc.pid!);
      if (pids.length && pids[0] !== pid) {
        const ready = await fetch(`${worker.url}/health/ready`);
        if (ready.status === 200) {
          const res = await client.completions.create({
            model: SERVER,
            prompt: 'Once upon a time',
            max_tokens: 8,
            temperature: 0,
          });
          served = res.choices[0]!.text;
          break;
        }
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(served.length).toBeGreaterThan(0);
  }, 60_000);

  it('takes its llama-server down with it when the worker is SIGKILLed (no orphan)', async () => {
    const worker = await startApp(
      'inference-worker',
      { ...platform!.env, LLAMA_SERVER_BIN: bin, WORKER_MODELS: SERVER },
      { readyPath: '/health/ready', timeoutMs: 60_000 },
    );
    const [server] = llamaServerPids(worker.proc.pid!);
    expect(server).toBeDefined();
    expect(alive(server!)).toBe(true);
    worker.proc.kill('SIGKILL');
    const deadline = Date.now() + 5000;
    while (alive(server!) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(alive(server!)).toBe(false);
    await worker.stop();
  });

  it('stops the worker at start, naming LLAMA_SERVER_BIN, when the binary is not configured', async () => {
    const queue = createQueuePrefix('llmpls');
    try {
      const { code, output } = await runToExit(
        'dist/apps/inference-worker/src/main.js',
        {
          REDIS_URL: TEST_REDIS_URL,
          QUEUE_PREFIX: queue.prefix,
          LOG_LEVEL: 'warn',
          PORT: String(await freePort()),
          MODELS_CONFIG: join(dir, 'models.yaml'),
          WORKER_MODELS: SERVER,
        },
        20_000,
      );
      expect(code).not.toBe(0);
      expect(output).toContain('LLAMA_SERVER_BIN');
    } finally {
      await queue.cleanup();
    }
  });
});
