// RAG: retrieval quality, ingest throughput and search latency through the public API (OpenAI's Files and Vector
// Stores routes), the whole platform as processes: auth, embedding worker (potion-base-2m), rag, gateway, on a
// private redis-server and a throw-away database.
//   quality   ../shared/models/eval (40 documents, 40 paraphrased questions): each document uploaded as a file into
//             one vector store; every question searched with the vector ranking alone, the keyword ranking alone
//             and the hybrid fusion (ranking_options.hybrid_search weights); hit@1, hit@5 and MRR of the document
//             asked about. Beside it, the same embedding model in-process (transformers.js pipeline, exact cosine):
//             the vector ranking must match it.
//   ingest    a synthetic corpus (sentences drawn from the eval documents' vocabulary), static chunking of
//             --chunk-tokens tokens, uploaded and attached with a file batch until every file is completed:
//             chunks/s end to end, against an in-process loop (the same chunker and tokenizer from dist/, the
//             transformers.js pipeline in batches of 64) on the same texts in the same run.
//   search    sequential searches (hybrid and vector) at each corpus size in --sizes (chunks): p50 / p99 through
//             the gateway.
import { Blob } from 'node:buffer';
import { fork } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { REPO_ROOT, environment, fmt, markdownTable, parseArgs, round, stat, writeResults } from './lib/common.mjs';
import { authDatabase, freePort, mintApiKey, startApp, startRun, track, waitReady } from './lib/platform.mjs';

const SHARED_MODELS = join(REPO_ROOT, '..', 'shared', 'models');
const EVAL_DIR = join(SHARED_MODELS, 'eval');
const EMBEDDING_MODEL = 'potion-base-2m';
const MODES = {
  vector: { hybrid_search: { embedding_weight: 1, text_weight: 0 } },
  keyword: { hybrid_search: { embedding_weight: 0, text_weight: 1 } },
  hybrid: {},
  'hybrid 1 : 0.5': { hybrid_search: { embedding_weight: 1, text_weight: 0.5 } },
  'hybrid 1 : 0.25': { hybrid_search: { embedding_weight: 1, text_weight: 0.25 } },
};

// ---------------------------------------------------------------------------------------------------------------
// The in-process reference (a child process, so its model and threads never share the platform's processes).

async function baselineChild() {
  const cfg = JSON.parse(readFileSync(process.env.BENCH_BASELINE_CONFIG, 'utf8'));
  const { env, pipeline } = await import('@huggingface/transformers');
  env.localModelPath = `${SHARED_MODELS}/`;
  env.allowRemoteModels = false;
  const extractor = await pipeline('feature-extraction', 'potion-base-2M', {
    dtype: 'fp32',
    session_options: { intraOpNumThreads: 1, interOpNumThreads: 1 },
  });
  const embed = async (texts) => (await extractor(texts, { pooling: 'mean', normalize: true })).tolist();

  // Quality: exact cosine ranking of the eval documents.
  const docs = JSON.parse(readFileSync(join(EVAL_DIR, 'documents.json'), 'utf8'));
  const queries = JSON.parse(readFileSync(join(EVAL_DIR, 'queries.json'), 'utf8'));
  const D = await embed(docs.map((d) => d.text));
  const Q = await embed(queries.map((q) => q.query));
  const dot = (a, b) => a.reduce((s, x, i) => s + x * b[i], 0);
  const ranks = queries.map((q, qi) => {
    const ranked = docs.map((d, di) => ({ id: d.id, s: dot(Q[qi], D[di]) })).sort((a, b) => b.s - a.s);
    return ranked.findIndex((r) => r.id === q.relevant_id) + 1;
  });

  // Ingest: the rag service's own chunker and tokenizer (dist/), then embeddings in batches of 64.
  // dist/ is CommonJS: its re-exports are on the default export.
  const chunkingModule = await import(join(REPO_ROOT, 'dist/apps/rag/src/ingest/chunking/index.js'));
  const chunking = chunkingModule.default ?? chunkingModule;
  const tokenizer = await chunking.loadChunkTokenizer({
    id: EMBEDDING_MODEL,
    kind: 'embedding',
    backend: 'transformers',
    path: join(SHARED_MODELS, 'potion-base-2M'),
    dtype: 'fp32',
    pooling: 'mean',
    normalize: true,
    max_tokens: 512,
    dimensions: 64,
  });
  const t0 = performance.now();
  let chunks = 0;
  for (const text of cfg.corpus) {
    const parts = chunking.chunkText(text, tokenizer, { maxTokens: cfg.chunkTokens, overlapTokens: cfg.overlapTokens });
    for (let i = 0; i < parts.length; i += 64) await embed(parts.slice(i, i + 64).map((c) => c.text));
    chunks += parts.length;
  }
  const wallMs = performance.now() - t0;
  process.send({ ranks, ingest: { chunks, wall_ms: round(wallMs, 1), chunks_per_s: round(chunks / (wallMs / 1000)) } });
}

/** The corpus is too large for the environment: the child reads its configuration from a file. */
/**
 * Recall of the rag service's approximate index: opens the collection the run left in the rag service's LanceDB
 * directory and, for sample stored vectors as queries (with the owner and store filter the service applies), compares
 * the top 10 through the index (as LanceDbVectorStore probes it) with the exact top 10 (index bypassed).
 */
async function annChild() {
  const cfg = JSON.parse(readFileSync(process.env.BENCH_BASELINE_CONFIG, 'utf8'));
  const lancedb = await import('@lancedb/lancedb');
  const db = await lancedb.connect(cfg.dir);
  const name = (await db.tableNames()).find((t) => t.startsWith('rag_chunks'));
  const table = await db.openTable(name);
  const rows = await table.countRows();
  const index = (await table.listIndices()).find((i) => i.columns.includes('vector'));
  const stats = index ? await table.indexStats(index.name) : null;
  const partitions = Math.min(4096, Math.max(16, Math.round((stats?.numIndexedRows ?? 0) / 2000)));
  const samples = await table
    .query()
    .where(`vector_store_id = '${cfg.storeId}'`)
    .select(['vector'])
    .limit(5000)
    .toArray();
  const where = `user_id = '${cfg.userId}' AND vector_store_id IN ('${cfg.storeId}')`;
  const exactMs = [];
  const annMs = [];
  let found = 0;
  let total = 0;
  for (let i = 0; i < 100; i++) {
    const q = Array.from(samples[(i * 47) % samples.length].vector);
    let t = performance.now();
    const exact = await table
      .vectorSearch(q)
      .distanceType('cosine')
      .where(where)
      .bypassVectorIndex()
      .select(['id'])
      .limit(10)
      .toArray();
    exactMs.push(performance.now() - t);
    t = performance.now();
    const ann = await table
      .vectorSearch(q)
      .distanceType('cosine')
      .where(where)
      .nprobes(Math.ceil(partitions / 4))
      .refineFactor(10)
      .select(['id'])
      .limit(10)
      .toArray();
    annMs.push(performance.now() - t);
    const truth = new Set(exact.map((r) => r.id));
    found += ann.filter((r) => truth.has(r.id)).length;
    total += truth.size;
  }
  process.send({
    rows,
    indexed: Boolean(index),
    indexed_rows: stats?.numIndexedRows ?? 0,
    partitions: index ? partitions : 0,
    recall_at_10: round(found / total),
    exact_ms: stat(exactMs),
    ann_ms: stat(annMs),
  });
}

function runBaseline(cfg, mode = '--baseline-child') {
  const path = join(tmpdir(), `bench-rag-baseline-${process.pid}-${Date.now()}.json`);
  writeFileSync(path, JSON.stringify(cfg));
  const child = track(
    fork(new URL(import.meta.url).pathname, [mode], {
      cwd: REPO_ROOT,
      env: { ...process.env, BENCH_BASELINE_CONFIG: path },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    }),
  );
  return new Promise((resolve, reject) => {
    let result;
    child.on('message', (m) => (result = m));
    child.once('exit', (code) => {
      rmSync(path, { force: true });
      if (result) resolve(result);
      else reject(new Error(`baseline exited with ${code}`));
    });
  });
}

// ---------------------------------------------------------------------------------------------------------------
// The platform side.

async function api(base, key, method, path, body) {
  const res = await fetch(`${base}/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

async function upload(base, key, filename, text) {
  const form = new globalThis.FormData();
  form.append('purpose', 'assistants');
  form.append('file', new Blob([text], { type: 'text/plain' }), filename);
  const res = await fetch(`${base}/v1/files`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}` },
    body: form,
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`upload answered ${res.status}: ${JSON.stringify(json).slice(0, 300)}`);
  return json.id;
}

/** Attaches files in batches of 100 and waits until the store has no file in progress. */
async function ingest(base, key, storeId, fileIds, chunking) {
  for (let i = 0; i < fileIds.length; i += 100) {
    await api(base, key, 'POST', `/vector_stores/${storeId}/file_batches`, {
      file_ids: fileIds.slice(i, i + 100),
      ...(chunking ? { chunking_strategy: chunking } : {}),
    });
  }
  for (;;) {
    const store = await api(base, key, 'GET', `/vector_stores/${storeId}`);
    if (store.file_counts.in_progress === 0) return store;
    await sleep(200);
  }
}

async function startPlatform(cfg, prefix, scratch, auth) {
  const base = {
    ...process.env,
    LOG_LEVEL: 'warn',
    REDIS_URL: cfg.redisUrl,
    QUEUE_PREFIX: prefix,
    EMBEDDING_WORKER_MODELS: EMBEDDING_MODEL,
    VECTOR_STORE_DIR: join(scratch, 'rag-vectors'),
    ...auth.env,
  };
  const apps = [];
  const start = async (name, extra = {}) => {
    const app = startApp(cfg.distDir, name, { ...base, PORT: String(await freePort()), ...extra });
    apps.push(app);
    return app;
  };
  await waitReady(await start('auth'));
  const others = [
    await start('embedding-worker'),
    await start('rag'),
    await start('api-gateway', { HOST: '127.0.0.1' }),
  ];
  await Promise.all(others.map((a) => waitReady(a)));
  return { gateway: others[2], rag: others[1], stop: () => Promise.all(apps.map((a) => a.stop())) };
}

function rankStats(ranks) {
  const n = ranks.length;
  return {
    hit_at_1: round(ranks.filter((r) => r === 1).length / n),
    hit_at_5: round(ranks.filter((r) => r >= 1 && r <= 5).length / n),
    mrr: round(ranks.reduce((a, r) => a + (r >= 1 ? 1 / r : 0), 0) / n),
  };
}

async function quality(base, key) {
  const docs = JSON.parse(readFileSync(join(EVAL_DIR, 'documents.json'), 'utf8'));
  const queries = JSON.parse(readFileSync(join(EVAL_DIR, 'queries.json'), 'utf8'));
  const store = await api(base, key, 'POST', '/vector_stores', { name: 'eval' });
  const ids = [];
  for (const d of docs) ids.push(await upload(base, key, `${d.id}.txt`, d.text));
  const done = await ingest(base, key, store.id, ids);
  if (done.file_counts.completed !== docs.length) throw new Error(`eval ingest: ${JSON.stringify(done.file_counts)}`);
  const out = {};
  for (const [mode, ranking] of Object.entries(MODES)) {
    const ranks = [];
    for (const q of queries) {
      const page = await api(base, key, 'POST', `/vector_stores/${store.id}/search`, {
        query: q.query,
        max_num_results: 10,
        ranking_options: ranking,
      });
      ranks.push(page.data.findIndex((r) => r.filename === `${q.relevant_id}.txt`) + 1);
    }
    out[mode] = rankStats(ranks);
  }
  return out;
}

/** Deterministic synthetic documents: sentences of words drawn from the eval documents. */
function corpus(files, wordsPerFile) {
  const vocab = [
    ...new Set(
      JSON.parse(readFileSync(join(EVAL_DIR, 'documents.json'), 'utf8'))
        .flatMap((d) => d.text.toLowerCase().match(/[a-z]+/g) ?? [])
        .filter((w) => w.length > 2),
    ),
  ];
  let seed = 42;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  return Array.from({ length: files }, () => {
    const words = [];
    for (let i = 0; i < wordsPerFile; i++) {
      const w = vocab[Math.floor(rand() * vocab.length)];
      words.push(i % 12 === 0 ? w[0].toUpperCase() + w.slice(1) : w);
      if (i % 12 === 11) words[words.length - 1] += '.';
      if (i % 120 === 119) words[words.length - 1] += '\n\n';
    }
    return words.join(' ');
  });
}

async function searchLatency(base, key, storeId, queries, n) {
  const out = {};
  for (const [mode, ranking] of [
    ['hybrid', {}],
    ['vector', MODES.vector],
  ]) {
    const lat = [];
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      await api(base, key, 'POST', `/vector_stores/${storeId}/search`, {
        query: queries[i % queries.length],
        max_num_results: 10,
        ranking_options: ranking,
      });
      lat.push(performance.now() - t);
    }
    out[mode] = stat(lat);
  }
  return out;
}

function markdown(cfg, env, s) {
  const q = (mode) => [
    mode,
    fmt(s.quality[mode].hit_at_1, 3),
    fmt(s.quality[mode].hit_at_5, 3),
    fmt(s.quality[mode].mrr, 3),
  ];
  return [
    '# RAG benchmark',
    '',
    `Whole platform as processes (auth, embedding worker with ${EMBEDDING_MODEL} on 1 ONNX thread, rag, gateway, ` +
      'private redis-server), driven through the public Files and Vector Stores API.',
    '',
    `Machine: ${env.cpu_count} x ${env.cpu_model}, node ${env.node}, commit ${env.git_commit?.slice(0, 10)}` +
      `${env.git_dirty ? ' (dirty)' : ''}, ${env.date}.`,
    '',
    '## Retrieval quality (`../shared/models/eval`: 40 documents, 40 questions)',
    '',
    markdownTable(
      ['ranking', 'hit@1', 'hit@5', 'MRR'],
      [
        ['in-process exact cosine (transformers.js, same model)', ...q('baseline').slice(1)],
        ...Object.keys(MODES).map(q),
      ],
    ),
    '',
    `## Ingest (${s.ingest.files} files of ${cfg.wordsPerFile} words, static chunks of ${cfg.chunkTokens} tokens, ` +
      `overlap ${cfg.overlapTokens})`,
    '',
    markdownTable(
      ['path', 'chunks', 'seconds', 'chunks/s'],
      [
        [
          'in-process chunk + embed loop',
          String(s.baseline_ingest.chunks),
          fmt(s.baseline_ingest.wall_ms / 1000),
          fmt(s.baseline_ingest.chunks_per_s),
        ],
        [
          'platform (upload excluded: batch attach → all completed)',
          String(s.ingest.chunks),
          fmt(s.ingest.wall_s),
          fmt(s.ingest.chunks_per_s),
        ],
        [
          'ratio platform / in-process',
          '',
          '',
          `${fmt((100 * s.ingest.chunks_per_s) / s.baseline_ingest.chunks_per_s)}%`,
        ],
      ],
    ),
    '',
    `## Approximate index: the rag service's collection (${s.ann.rows} vectors), in-process, owner + store filter`,
    '',
    s.ann.indexed
      ? markdownTable(
          ['search', 'recall@10 vs exact', 'p50 / p99'],
          [
            ['exact (index bypassed)', '1', `${fmt(s.ann.exact_ms.p50)} / ${fmt(s.ann.exact_ms.p99)} ms`],
            [
              `IVF-PQ, ${s.ann.partitions} partitions, nprobes ${Math.ceil(s.ann.partitions / 4)}, refine 10`,
              fmt(s.ann.recall_at_10, 3),
              `${fmt(s.ann.ann_ms.p50)} / ${fmt(s.ann.ann_ms.p99)} ms`,
            ],
          ],
        )
      : 'No index was built (the collection stayed below VECTOR_STORE_ANN_MIN_ROWS).',
    '',
    '## Search latency through the gateway (sequential, max_num_results 10)',
    '',
    markdownTable(
      ['chunks in the store', 'hybrid p50 / p99', 'vector only p50 / p99'],
      s.search.map((r) => [
        String(r.chunks),
        `${fmt(r.hybrid.p50)} / ${fmt(r.hybrid.p99)} ms`,
        `${fmt(r.vector.p50)} / ${fmt(r.vector.p99)} ms`,
      ]),
    ),
  ].join('\n');
}

async function main() {
  const opts = parseArgs(process.argv.slice(2), {
    sizes: '10000,100000',
    wordsPerFile: 2000,
    chunkTokens: 100,
    overlapTokens: 0,
    searches: 200,
    quick: false,
    redisUrl: '',
    pgAdminUrl: process.env.PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  });
  const sizes = (opts.quick ? '1000' : opts.sizes).split(',').map(Number);
  const cfg = { ...opts, sizes, distDir: join(REPO_ROOT, 'dist') };
  const env = environment();
  const runId = `bench-${Date.now()}`;
  const scratch = join(tmpdir(), `${runId}-rag`);
  mkdirSync(scratch, { recursive: true });
  let auth = null;
  const run = await startRun({ scratch, redisUrl: opts.redisUrl, keys: `${runId}-*`, database: () => auth });
  cfg.redisUrl = run.redisUrl;
  const summary = { search: [] };
  try {
    auth = await authDatabase(runId, opts.pgAdminUrl);
    const platform = await startPlatform(cfg, runId, scratch, auth);
    try {
      const base = platform.gateway.url;
      const key = await mintApiKey(base, auth.admin);
      summary.quality = await quality(base, key);
      console.log(`quality: ${JSON.stringify(summary.quality)}`);

      // Ingest the first size's worth of chunks and time it; the in-process loop gets the same texts.
      const chunking = {
        type: 'static',
        static: { max_chunk_size_tokens: cfg.chunkTokens, chunk_overlap_tokens: cfg.overlapTokens },
      };
      const store = await api(base, key, 'POST', '/vector_stores', { name: 'bench' });
      summary.storeId = store.id;
      summary.userId = (await api(base, key, 'GET', '/auth/me')).id;
      const queries = JSON.parse(readFileSync(join(EVAL_DIR, 'queries.json'), 'utf8')).map((q) => q.query);
      let chunks = 0;
      let fileIndex = 0;
      for (const [i, size] of sizes.entries()) {
        // About wordsPerFile * 1.3 / chunkTokens chunks per file; top up until the store holds `size` chunks.
        const perFile = Math.max(1, Math.round((cfg.wordsPerFile * 1.3) / cfg.chunkTokens));
        const files = Math.ceil((size - chunks) / perFile);
        const texts = corpus(fileIndex + files, cfg.wordsPerFile).slice(fileIndex);
        fileIndex += files;
        const ids = [];
        for (const [k, t] of texts.entries()) ids.push(await upload(base, key, `doc-${fileIndex - files + k}.txt`, t));
        const t0 = performance.now();
        const done = await ingest(base, key, store.id, ids, chunking);
        const wallS = (performance.now() - t0) / 1000;
        const counted = await chunkCount(base, key, store.id, ids.slice(0, 3));
        const added = Math.round((counted / 3) * ids.length);
        chunks += added;
        if (i === 0) {
          // The same chunker, tokenizer and texts: the in-process loop's exact chunk count is the platform's too.
          summary.baseline_ingest = (
            await runBaseline({ corpus: texts, chunkTokens: cfg.chunkTokens, overlapTokens: cfg.overlapTokens })
          ).ingest;
          const exact = summary.baseline_ingest.chunks;
          chunks += exact - added;
          summary.ingest = {
            files: ids.length,
            chunks: exact,
            wall_s: round(wallS),
            chunks_per_s: round(exact / wallS),
          };
          console.log(
            `ingest: platform ${fmt(summary.ingest.chunks_per_s)} chunks/s, in-process ${fmt(summary.baseline_ingest.chunks_per_s)} chunks/s`,
          );
        }
        if (done.file_counts.failed > 0) throw new Error(`ingest: ${JSON.stringify(done.file_counts)}`);
        const lat = await searchLatency(base, key, store.id, queries, cfg.searches);
        summary.search.push({ chunks, ...lat });
        console.log(
          `search at ~${chunks} chunks: hybrid p50/p99 ${fmt(lat.hybrid.p50)}/${fmt(lat.hybrid.p99)} ms, vector ` +
            `${fmt(lat.vector.p50)}/${fmt(lat.vector.p99)} ms (load ${loadavg()[0].toFixed(2)})`,
        );
      }
    } finally {
      await platform.stop();
    }
    summary.ann = await runBaseline(
      { dir: join(scratch, 'rag-vectors'), storeId: summary.storeId, userId: summary.userId },
      '--ann-child',
    );
    console.log(`ann: ${JSON.stringify(summary.ann)}`);
    const base = await runBaseline({ corpus: [], chunkTokens: cfg.chunkTokens, overlapTokens: cfg.overlapTokens });
    summary.quality.baseline = rankStats(base.ranks);
  } finally {
    await run.cleanup();
  }
  const files = await writeResults(
    'rag',
    { config: { ...cfg, distDir: 'dist' }, environment: env, ...summary },
    markdown(cfg, env, summary),
  );
  console.log(`wrote ${files.join(', ')}`);
}

/** Chunks of a few sample files (from their indexed content pages), to count what the store holds. */
async function chunkCount(base, key, storeId, fileIds) {
  let n = 0;
  for (const id of fileIds) {
    const page = await api(base, key, 'GET', `/vector_stores/${storeId}/files/${id}/content`);
    n += page.data.length;
  }
  return n;
}

if (process.argv.includes('--baseline-child')) await baselineChild();
else if (process.argv.includes('--ann-child')) await annChild();
else await main();
