// History benchmark: how long building the prompt of a 1,000-item conversation takes, through the platform.
//
//   npm run bench -- history [--items 1000] [--requests 300] [--rounds 2] [--quick]
//
// The measured path is the dry run (`POST /v1/chat/completions` with `conversation_id` and `dry_run: true`): the
// gateway asks chat-history for the context (loadContext: conversation, latest summary, the turns after it, recalled
// memories), builds the sectioned prompt, and the inference worker fits it to the context window with the model's
// tokenizer and renders the chat template; nothing is generated or written. Two conversations of `--items` items:
//   summarized: the default configuration (a summary every 40 items, 20 kept verbatim), once every summary is in;
//   unsummarized: summaries off, so the context carries the 200 newest turns (the gateway's limit) and the worker
//                 fits all of them: the worst case.
// Each is timed with memory recall off (CHAT_RECALL_K=0: no embedding, no vector search) and on (the query embedded
// through the embedding queue, then a LanceDB search). The target, p50 <= 15 ms excluding embedding time,
// is read on recall off; recall on is reported too, with the embedding round trip (embed.texts.v1 on
// embedding-potion-base-2m, measured the way chat-history waits for it) and the recall-on figure minus its median.
// Alongside, in the same run: loadContext alone (the RPC, from this process) and the in-process baseline: the
// worker's own prompt building (GenerationService.buildChatPrompt from dist/: its prompt fitter, node-llama-cpp's
// chat template and tokenizer) on the same messages, no HTTP, queue, Redis or database. Phases alternate between rounds (this 2-core machine is shared and noisy);
// percentiles pool every round's samples. Writes bench/results/history.json and .md. Never fails on timing.
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import {
  REPO_ROOT,
  environment,
  fmt,
  markdownTable,
  mean,
  median,
  parseArgs,
  percentile,
  round,
  writeResults,
} from './lib/common.mjs';
import {
  authDatabase,
  deleteKeys,
  freePort,
  killAll,
  mintApiKey,
  postJson,
  startApp,
  startPrivateRedis,
  waitReady,
} from './lib/platform.mjs';

const SHARED = resolve(REPO_ROOT, '..', 'shared');
const TARGET_P50_MS = 15;
const MODEL = 'stories260k';
const EMBEDDING_MODEL = 'potion-base-2m';
/** As infra/config/models.yaml serves stories260k; the baseline checks its prompt tokens against the worker's. */
const CONTEXT_SIZE = 2048;
const DEFAULT_MAX_TOKENS = 256;
/** The gateway's turn limit per context (stateful-chat.service.ts). */
const MAX_TURNS = 200;
const FACT = 'My cat is named Biscuit and she loves tuna.';
const QUESTION = 'What is my cat called?';
const APPEND_BATCH = 20;
/**
 * chat-history's settings besides the defaults. CHAT_SUMMARY_INPUT_MAX_CHARS: the default 3000 characters of this
 * transcript are about 1,950 stories260k tokens (its 512-token vocabulary splits such text finely), which with the
 * 200-token reply exceed the 2,048-token context, and every summary job fails; 1500 fits.
 */
const CHAT_HISTORY_ENV = { CHAT_SUMMARY_INPUT_MAX_CHARS: '1500' };

const opts = parseArgs(process.argv.slice(2), {
  items: 1000,
  requests: 300,
  warmup: 30,
  rounds: 2,
  quick: false,
  dist: '',
  redisUrl: '',
  pgAdminUrl: process.env.TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
});
if (opts.quick) Object.assign(opts, { items: 200, requests: 60, warmup: 10, rounds: 1 });
const distDir = opts.dist ? resolve(opts.dist) : join(REPO_ROOT, 'dist');

// ---------------------------------------------------------------------------------------------------------------
// The conversation: varied everyday turns, deterministic, with one distinctive fact at the start.

const TOPICS = [
  ['baking sourdough bread', 'a long cold rise and a very hot oven give the crust its colour'],
  ['the capital of Australia', 'Canberra was chosen as a compromise between Sydney and Melbourne'],
  ['running shoes for a marathon', 'a light shoe with good cushioning helps on long distances'],
  ['the history of the Roman empire', 'Rome grew from a city state into an empire over several centuries'],
  ['spring weather in the mountains', 'expect mild days, cold nights and sudden rain showers'],
  ['how bicycle gears work', 'gears change how far the wheel turns for each turn of the pedals'],
  ['the largest planet', 'Jupiter is more than twice as massive as all the other planets together'],
  ['how volcanoes form', 'magma rises through cracks in the crust and erupts at the surface'],
  ['packing for a beach holiday', 'sunscreen, a hat, swimwear and plenty of water are the essentials'],
  ['learning to play chess', 'start with how the pieces move, then study a few simple openings'],
  ['saving money on groceries', 'plan meals for the week and buy seasonal vegetables'],
  ['growing tomatoes on a balcony', 'they need six hours of sun, a deep pot and regular watering'],
];
const ASKS = ['Can you tell me about', 'I would like to know more about', 'What do you think about', 'Explain'];

function conversationItems(n) {
  const items = [];
  for (let i = 0; items.length < n; i++) {
    const [topic, answer] = TOPICS[i % TOPICS.length];
    const ask = ASKS[Math.floor(i / TOPICS.length) % ASKS.length];
    items.push({ type: 'message', role: 'user', content: i === 0 ? FACT : `${ask} ${topic}? (question ${i + 1})` });
    if (items.length < n) {
      items.push({
        type: 'message',
        role: 'assistant',
        content: [{ type: 'output_text', text: `About ${topic}: ${answer}. Is there anything else you want to know?` }],
      });
    }
  }
  return items;
}

// ---------------------------------------------------------------------------------------------------------------
// The platform: auth, inference worker, embedding worker, chat-history (restarted per phase), gateway.

async function startPlatform(base, chatHistoryEnv) {
  const start = async (name, extra = {}) => {
    const app = startApp(distDir, name, { ...base, ...extra, PORT: String(await freePort()) });
    await waitReady(app);
    return app;
  };
  const auth = await start('auth');
  const worker = await start('inference-worker', { WORKER_MODELS: MODEL });
  const embedder = await start('embedding-worker', { EMBEDDING_WORKER_MODELS: EMBEDDING_MODEL });
  let chatHistory = await start('chat-history', chatHistoryEnv);
  const gateway = await start('api-gateway', { HOST: '127.0.0.1' });
  return {
    auth,
    worker,
    embedder,
    gateway,
    get chatHistory() {
      return chatHistory;
    },
    /** A fresh chat-history process with this configuration (the data stays: Postgres and the vector dir). */
    async restartChatHistory(extra) {
      await chatHistory.stop();
      chatHistory = await start('chat-history', extra);
    },
  };
}

function api(gatewayUrl, apiKey) {
  const headers = { authorization: `Bearer ${apiKey}` };
  const call = async (path, body, expected = 200) => {
    const res = await postJson(`${gatewayUrl}${path}`, body, headers);
    if (res.status !== expected) throw new Error(`POST ${path} answered ${res.status}: ${res.text.slice(0, 500)}`);
    return res.json();
  };
  return {
    headers,
    async createConversation(items) {
      const conv = await call('/v1/conversations', {}, 200);
      for (let i = 0; i < items.length; i += APPEND_BATCH) {
        await call(`/v1/conversations/${conv.id}/items`, { items: items.slice(i, i + APPEND_BATCH) });
      }
      return conv.id;
    },
    dryRun(conversationId) {
      return call('/v1/chat/completions', {
        model: MODEL,
        messages: [{ role: 'user', content: QUESTION }],
        conversation_id: conversationId,
        dry_run: true,
      });
    },
  };
}

async function waitFor(probe, what, timeoutMs = 300_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(500);
  }
}

async function timed(n, fn) {
  const samples = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn(i);
    samples.push(performance.now() - t0);
  }
  return samples;
}

function stats(samples) {
  return {
    n: samples.length,
    p50_ms: round(median(samples)),
    p90_ms: round(percentile(samples, 90)),
    p99_ms: round(percentile(samples, 99)),
    mean_ms: round(mean(samples)),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// In-process baseline: the worker's own fitting and rendering (GenerationService.buildChatPrompt from dist/, with
// its prompt fitter and charset guard) on a model loaded the way the worker loads it, with node-llama-cpp directly.

const distModule = async (path) => (await import(pathToFileURL(join(distDir, path)).href)).default;

async function loadBaseline() {
  await import('reflect-metadata');
  const { GenerationService } = await distModule('apps/inference-worker/src/inference/generation.service.js');
  const { CharsetGuard } = await distModule('apps/inference-worker/src/models/charset-guard.js');
  const { buildStatefulPrompt } = await distModule('apps/api-gateway/src/conversations/conversation-prompt.js');
  const lib = await import('node-llama-cpp');
  const llama = await lib.getLlama({ gpu: false, logLevel: lib.LlamaLogLevel.error, build: 'never' });
  const model = await llama.loadModel({ modelPath: join(SHARED, 'models', 'stories260K.gguf') });
  const chatWrapper = lib.resolveChatWrapper(model);
  const tokens = model.fileInfo.metadata.tokenizer?.ggml?.tokens;
  const charset = CharsetGuard.fromVocabulary(String(model.vocabularyType), tokens);
  const loaded = {
    id: MODEL,
    lib,
    model,
    chatWrapper,
    charset,
    contextSize: CONTEXT_SIZE,
    definition: { id: MODEL, default_max_tokens: DEFAULT_MAX_TOKENS, capabilities: ['chat'] },
    messageOverhead: messageOverhead(model, chatWrapper),
  };
  const generation = new GenerationService();
  const fitAndRender = (messages) =>
    generation.buildChatPrompt(loaded, { messages, sampling: { stop: [] }, dryRun: true, stream: false });

  /** The messages the gateway builds from a loadContext answer. */
  function messagesFor(ctx) {
    return buildStatefulPrompt({
      systemPrompt: ctx.conversation.system_prompt,
      summary: ctx.summary,
      memories: ctx.memories,
      turns: ctx.turns,
      input: [{ type: 'message', role: 'user', content: QUESTION }],
    });
  }

  return {
    chatWrapper: chatWrapper.wrapperName,
    messageOverhead: loaded.messageOverhead,
    messagesFor,
    fitAndRender,
    dispose: async () => {
      await model.dispose();
      await llama.dispose();
    },
  };
}

/** Template tokens per message, measured as the worker's model host does (model-host.service.ts). */
function messageOverhead(model, wrapper) {
  const text = 'hello';
  const render = (history) =>
    wrapper.generateContextState({ chatHistory: history }).contextText.tokenize(model.tokenizer).length;
  const one = render([
    { type: 'user', text },
    { type: 'model', response: [] },
  ]);
  const two = render([
    { type: 'user', text },
    { type: 'model', response: [text] },
    { type: 'user', text },
    { type: 'model', response: [] },
  ]);
  return Math.max(1, Math.ceil((two - one - 2 * model.tokenize(text).length) / 2));
}

// ---------------------------------------------------------------------------------------------------------------

async function main() {
  const runId = `bench-history-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  const scratch = join(tmpdir(), runId);
  mkdirSync(scratch, { recursive: true });
  const vectorsDir = join(scratch, 'vectors');

  let ownRedis = null;
  let redisUrl = opts.redisUrl;
  if (!redisUrl) {
    ownRedis = await startPrivateRedis(scratch);
    redisUrl = ownRedis.url;
  }
  const { Redis } = await import('ioredis');
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });

  let db = null;
  let rpc = null;
  let baseline = null;
  const bullmq = await import('bullmq');
  const closers = [];
  /** A connection of the benchmark's own (BullMQ does not close connections it is given). */
  const connection = () => {
    const c = redis.duplicate();
    closers.push(async () => c.disconnect());
    return c;
  };
  const cleanup = async () => {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    await baseline?.dispose().catch(() => undefined);
    await killAll(ownRedis ? [ownRedis.proc] : []);
    await db?.drop().catch((err) => console.error(`dropping database ${db.database} failed: ${err.message}`));
    await deleteKeys(redis, `${runId}:*`).catch(() => 0);
    redis.disconnect();
    await killAll();
    rmSync(scratch, { recursive: true, force: true });
  };
  const onSignal = (sig) => {
    console.error(`\n${sig}: stopping benchmark processes`);
    void cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    db = await authDatabase(runId, opts.pgAdminUrl);
    const base = {
      ...process.env,
      LOG_LEVEL: 'warn',
      REDIS_URL: redisUrl,
      QUEUE_PREFIX: runId,
      VECTOR_STORE_DIR: vectorsDir,
      ...db.env,
    };
    console.log(`history benchmark: ${opts.items}-item conversations, ${opts.requests} requests per series and round`);
    const t0 = performance.now();
    // The unsummarized conversation is written while summaries are off; it never gets one afterwards (dry runs
    // append nothing).
    const platform = await startPlatform(base, { CHAT_SUMMARY_TRIGGER_ITEMS: '0' });
    const apiKey = await mintApiKey(platform.gateway.url, db.admin);
    const client = api(platform.gateway.url, apiKey);
    const me = await fetch(`${platform.gateway.url}/v1/auth/me`, { headers: client.headers }).then((r) => r.json());
    const items = conversationItems(opts.items);
    const unsummarized = await client.createConversation(items);
    await platform.restartChatHistory(CHAT_HISTORY_ENV);
    const summarized = await client.createConversation(items);
    console.log(`  wrote 2 x ${opts.items} items in ${fmt((performance.now() - t0) / 1000)} s (with start-up)`);

    // Wait for the background work: every summary of the summarized conversation and every message indexed.
    const chatQueue = new bullmq.Queue('chat-history', { connection: connection(), prefix: runId });
    closers.push(() => chatQueue.close());
    await waitFor(async () => {
      const c = await chatQueue.getJobCounts('waiting', 'active', 'prioritized');
      // The repeatable expiry purge always has its next run delayed; anything else delayed is still to do.
      const delayed = await chatQueue.getJobs(['delayed']);
      return (
        c.waiting + c.active + c.prioritized === 0 && delayed.every((j) => j.name === 'conversation.purge-expired.v1')
      );
    }, 'the summaries and the memory index');
    const settled = await client.dryRun(summarized);
    if (!settled.context.summary_id) throw new Error(`no summary:\n${platform.chatHistory.output().slice(-3000)}`);
    console.log(
      `  background work done after ${fmt((performance.now() - t0) / 1000)} s: summarized conversation ` +
        `${settled.context.verbatim_item_ids.length} turns verbatim after summary ${settled.context.summary_id}`,
    );

    // loadContext alone, from here, as the gateway calls it.
    const platformLib = (await import(pathToFileURL(join(distDir, 'libs/platform/src/index.js')).href)).default;
    const contracts = (await import(pathToFileURL(join(distDir, 'libs/contracts/src/index.js')).href)).default;
    const { firstValueFrom, timeout } = await import('rxjs');
    (await import('@nestjs/common')).Logger.overrideLogger(false);
    rpc = platformLib.createRpcClient(redisUrl, runId);
    await rpc.connect();
    closers.push(() => rpc.close());
    const loadContext = (conversationId) =>
      firstValueFrom(
        rpc
          .send(contracts.CHAT_HISTORY_RPC.loadContext.pattern, {
            userId: me.id,
            conversationId,
            maxTurns: MAX_TURNS,
            query: QUESTION,
          })
          .pipe(timeout(10_000)),
      );

    // The embedding round trip chat-history waits for on recall: embed.texts.v1 without a reply channel, its
    // return value read through queue events.
    const embedQueue = new bullmq.Queue(`embedding-${EMBEDDING_MODEL}`, {
      connection: connection(),
      prefix: runId,
    });
    const embedEvents = new bullmq.QueueEvents(`embedding-${EMBEDDING_MODEL}`, {
      connection: connection(),
      prefix: runId,
    });
    closers.push(
      () => embedQueue.close(),
      () => embedEvents.close(),
    );
    await embedEvents.waitUntilReady();
    let embedJobs = 0;
    const embedOnce = async () => {
      const job = await embedQueue.add(
        'embed.texts.v1',
        { requestId: `bench-${embedJobs}`, model: EMBEDDING_MODEL, inputs: [QUESTION] },
        { jobId: `bench-embed-${embedJobs++}`, attempts: 1, removeOnComplete: { age: 60 } },
      );
      await job.waitUntilFinished(embedEvents, 10_000);
    };

    baseline = await loadBaseline();
    const conversations = { summarized, unsummarized };
    const samples = {};
    const add = (key, values) => (samples[key] = [...(samples[key] ?? []), ...values]);
    const shapes = {};
    const phases = ['recall_off', 'recall_on'];
    for (let round = 1; round <= opts.rounds; round++) {
      const order = round % 2 ? phases : [...phases].reverse();
      for (const phase of order) {
        await platform.restartChatHistory({
          ...CHAT_HISTORY_ENV,
          ...(phase === 'recall_off' ? { CHAT_RECALL_K: '0' } : {}),
        });
        for (const [name, id] of Object.entries(conversations)) {
          for (let i = 0; i < opts.warmup; i++) await client.dryRun(id);
          const first = await client.dryRun(id);
          const ctx = await loadContext(id);
          const messages = baseline.messagesFor(ctx);
          const inProcess = baseline.fitAndRender(messages);
          shapes[`${name}/${phase}`] = {
            turns_loaded: ctx.turns.length,
            summary: Boolean(ctx.summary),
            memories_recalled: ctx.memories.length,
            messages: messages.length,
            verbatim_turns_kept: first.context.verbatim_item_ids.length,
            memories_kept: first.context.memories.length,
            prompt_tokens: first.usage.prompt_tokens,
            prompt_chars: first.prompt.length,
            baseline_prompt_tokens: inProcess.promptTokens,
            baseline_prompt_identical: inProcess.promptText === first.prompt,
          };
          add(`dry_run/${name}/${phase}`, await timed(opts.requests, () => client.dryRun(id)));
          add(`load_context/${name}/${phase}`, await timed(opts.requests, () => loadContext(id)));
          add(`in_process/${name}/${phase}`, await timed(opts.requests, () => baseline.fitAndRender(messages)));
          const s = stats(samples[`dry_run/${name}/${phase}`]);
          console.log(
            `  round ${round} ${phase} ${name}: dry run p50 ${fmt(s.p50_ms, 2)} ms, p99 ${fmt(s.p99_ms, 2)} ms`,
          );
        }
        if (phase === 'recall_on') add('embedding_round_trip', await timed(opts.requests, () => embedOnce()));
      }
    }

    const series = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, stats(v)]));
    const embedP50 = series.embedding_round_trip.p50_ms;
    const derived = {};
    for (const name of Object.keys(conversations)) {
      const on = samples[`dry_run/${name}/recall_on`];
      derived[name] = {
        dry_run_recall_on_minus_embedding_p50_ms: round(median(on) - embedP50),
        dry_run_recall_on_minus_embedding_p99_ms: round(percentile(on, 99) - embedP50),
        platform_overhead_recall_off_p50_ms: round(
          median(samples[`dry_run/${name}/recall_off`]) - median(samples[`in_process/${name}/recall_off`]),
        ),
      };
    }
    const headline = series['dry_run/summarized/recall_off'];
    const result = {
      benchmark: 'history',
      target: { dry_run_p50_ms_excluding_embedding: TARGET_P50_MS },
      met: {
        summarized: headline.p50_ms <= TARGET_P50_MS,
        unsummarized: series['dry_run/unsummarized/recall_off'].p50_ms <= TARGET_P50_MS,
      },
      config: {
        items: opts.items,
        requests_per_series_per_round: opts.requests,
        warmup: opts.warmup,
        rounds: opts.rounds,
        model: MODEL,
        context_size: CONTEXT_SIZE,
        embedding_model: EMBEDDING_MODEL,
        chat_wrapper: baseline.chatWrapper,
        summarized:
          'CHAT_SUMMARY_TRIGGER_ITEMS=40, CHAT_VERBATIM_KEEP_ITEMS=20 (defaults), CHAT_SUMMARY_INPUT_MAX_CHARS=1500',
        message_overhead_tokens: baseline.messageOverhead,
        unsummarized: `CHAT_SUMMARY_TRIGGER_ITEMS=0: the ${MAX_TURNS} newest turns are loaded`,
        recall_off: 'CHAT_RECALL_K=0',
        recall_on: 'CHAT_RECALL_K=4, CHAT_RECALL_MIN_SCORE=0.35 (defaults), LanceDB flat search',
        redis: ownRedis ? `private redis-server ${ownRedis.version}` : redisUrl,
      },
      environment: environment(),
      shapes,
      series,
      derived,
    };
    const md = renderMarkdown(result);
    const files = await writeResults('history', result, md);
    console.log(`\n${md}\nwrote ${files.join(', ')}`);
    await chatQueue.close();
  } finally {
    await cleanup();
  }
}

function renderMarkdown(r) {
  const s = r.series;
  const row = (label, key) => [
    label,
    fmt(s[key].p50_ms, 2),
    fmt(s[key].p90_ms, 2),
    fmt(s[key].p99_ms, 2),
    String(s[key].n),
  ];
  const table = (name) =>
    markdownTable(
      ['path', 'p50 ms', 'p90 ms', 'p99 ms', 'n'],
      [
        row('dry run, recall off (the target)', `dry_run/${name}/recall_off`),
        row('dry run, recall on (embedding included)', `dry_run/${name}/recall_on`),
        row('loadContext RPC alone, recall off', `load_context/${name}/recall_off`),
        row('loadContext RPC alone, recall on', `load_context/${name}/recall_on`),
        row('in-process fit + render (baseline)', `in_process/${name}/recall_off`),
        row('in-process fit + render, with the recalled memories', `in_process/${name}/recall_on`),
      ],
    );
  const shape = (name) => {
    const off = r.shapes[`${name}/recall_off`];
    const on = r.shapes[`${name}/recall_on`];
    return (
      `${off.turns_loaded} turns loaded${off.summary ? ' after the summary' : ''}, ${off.verbatim_turns_kept} kept ` +
      `verbatim after fitting, ${off.prompt_tokens} prompt tokens; recall on: ${on.memories_recalled} memories ` +
      `recalled, ${on.memories_kept} kept. In-process prompt identical to the worker's: ` +
      `${off.baseline_prompt_identical && on.baseline_prompt_identical ? 'yes' : 'no'}.`
    );
  };
  return [
    '# History: prompt-building latency',
    '',
    `\`npm run bench -- history\`: the dry-run path (gateway -> chat-history loadContext -> inference worker fit and ` +
      `render) for a conversation of ${r.config.items} items, ${r.config.requests_per_series_per_round} sequential ` +
      `requests per series and round, ${r.config.rounds} round(s) alternating the phases, percentiles over all ` +
      `rounds. Model ${r.config.model} (context ${r.config.context_size}, ${r.config.chat_wrapper}), embeddings ` +
      `${r.config.embedding_model}. ${r.environment.cpu_count} CPUs (${r.environment.cpu_model}), Node ` +
      `${r.environment.node}, ${r.environment.date}, commit ${r.environment.git_commit?.slice(0, 7)}` +
      `${r.environment.git_dirty ? ' (dirty)' : ''}.`,
    '',
    `Target: dry-run p50 <= ${r.target.dry_run_p50_ms_excluding_embedding} ms excluding embedding time. ` +
      `Summarized conversation (default configuration): **p50 ${fmt(s['dry_run/summarized/recall_off'].p50_ms, 2)} ms` +
      ` — ${r.met.summarized ? 'met' : 'not met'}**. Unsummarized (worst case, 200 turns to fit): p50 ` +
      `${fmt(s['dry_run/unsummarized/recall_off'].p50_ms, 2)} ms — ${r.met.unsummarized ? 'met' : 'not met'}.`,
    '',
    '## Summarized conversation (default: a summary every 40 items, 20 kept verbatim)',
    '',
    shape('summarized'),
    '',
    table('summarized'),
    '',
    '## Unsummarized conversation (CHAT_SUMMARY_TRIGGER_ITEMS=0)',
    '',
    shape('unsummarized'),
    '',
    table('unsummarized'),
    '',
    '## Embedding time',
    '',
    `The recall query's embedding round trip (embed.texts.v1 on embedding-${r.config.embedding_model}, waited for ` +
      `through queue events, as chat-history does): p50 ${fmt(s.embedding_round_trip.p50_ms, 2)} ms, p99 ` +
      `${fmt(s.embedding_round_trip.p99_ms, 2)} ms (n ${s.embedding_round_trip.n}). Recall on minus that median: ` +
      `summarized p50 ${fmt(r.derived.summarized.dry_run_recall_on_minus_embedding_p50_ms, 2)} ms, unsummarized p50 ` +
      `${fmt(r.derived.unsummarized.dry_run_recall_on_minus_embedding_p50_ms, 2)} ms (vector search and the ` +
      'database check of the hits included). chat-history embeds the query while it loads the context, so part of ' +
      'the embedding time overlaps the database reads.',
    '',
    '## Reading',
    '',
    `- What the platform adds to the in-process fit + render (recall off, p50): summarized ` +
      `${fmt(r.derived.summarized.platform_overhead_recall_off_p50_ms, 2)} ms, unsummarized ` +
      `${fmt(r.derived.unsummarized.platform_overhead_recall_off_p50_ms, 2)} ms: HTTP, auth, the loadContext RPC ` +
      '(Postgres), the inference job through Redis and the start event back over pub/sub.',
    "- The in-process baseline runs the worker's own `GenerationService.buildChatPrompt` (dist/: the prompt fitter, " +
      "node-llama-cpp's chat wrapper and tokenizer, the charset guard) on the messages the gateway builds from the " +
      "same loadContext answer; its prompt is compared with the worker's byte for byte above.",
    '- Figures from a shared 2-core machine: read p99 with care.',
  ].join('\n');
}

await main();
