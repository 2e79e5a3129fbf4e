// Token transport micro-benchmark: how fast small messages (the size of a streamed token event) travel from a
// producer Redis connection to a consumer connection, in one process, against the local Redis:
//   (1) PUBLISH / SUBSCRIBE on one channel (what the worker -> gateway reply path uses),
//   (2) a Redis Stream: XADD (MAXLEN ~ trimming) + blocking XREAD.
// Three modes each: `latency` sends one message at a time and waits for it to arrive (pure delivery latency);
// `paced` sends at a steady rate (default 4,000 msg/s, about 8 streams of a fast small model) and reports the
// latency under that load; `throughput` sends all messages back to back, yielding to the event loop every BURST
// messages (as a busy worker does), and reports messages/s (its latency is mostly queueing).
//
//   npm run bench -- transport [--messages 20000] [--rounds 5] [--rate 4000] [--redis-url URL]
//
// Writes bench/results/transport.json and .md. Never fails on timing.
import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { setImmediate as yieldTurn, setTimeout as sleep } from 'node:timers/promises';
import {
  environment,
  fmt,
  machineBusyMs,
  markdownTable,
  median,
  parseArgs,
  percentile,
  procCpuMs,
  round,
  writeResults,
} from './lib/common.mjs';

const BURST = 100;
const STREAM_MAXLEN = 10000;

const opts = parseArgs(process.argv.slice(2), {
  messages: 20000,
  rounds: 5,
  warmup: 1000,
  rate: 4000,
  redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  help: false,
});
if (opts.help) {
  console.log(
    'Usage: npm run bench -- transport [--messages N] [--rounds N] [--rate MSG_PER_S] [--warmup N] [--redis-url URL]',
  );
  process.exit(0);
}

const { Redis } = await import('ioredis');
const connect = async (name) => {
  const r = new Redis(opts.redisUrl, { lazyConnect: true, connectionName: name, maxRetriesPerRequest: 1 });
  await r.connect();
  return r;
};

const runId = `bench-${Date.now()}-transport`;
const channel = `${runId}:tokens`;
const streamKey = `${runId}:tokens-stream`;
const jobId = randomUUID();
// A delta event as the worker publishes it, plus a sequence number to time each message.
const message = (seq) => `{"type":"delta","jobId":"${jobId}","text":" once","seq":${seq}}`;
const seqOf = (text) => Number(text.slice(text.lastIndexOf(':') + 1, -1));

const producer = await connect('bench-producer');
const subscriber = await connect('bench-subscriber');
const streamReader = await connect('bench-stream-reader');
const redisPid = Number(/process_id:(\d+)/.exec(await producer.info('server'))?.[1]) || null;

/** Consumer side of each transport: `onMessage(seq)` is called for every message that arrives, in order. */
let onMessage = () => undefined;
subscriber.on('message', (_ch, text) => onMessage(seqOf(text)));
await subscriber.subscribe(channel);

let streamLastId = '0-0';
let stopStream = false;
async function streamLoop() {
  while (!stopStream) {
    const res = await streamReader.xread('BLOCK', 1000, 'COUNT', 1000, 'STREAMS', streamKey, streamLastId);
    if (!res) continue;
    const entries = res[0][1];
    for (const [id, fields] of entries) {
      streamLastId = id;
      onMessage(seqOf(fields[1]));
    }
  }
}

const transports = {
  pubsub: (seq) => producer.publish(channel, message(seq)),
  stream: (seq) => producer.xadd(streamKey, 'MAXLEN', '~', STREAM_MAXLEN, '*', 'e', message(seq)),
};

function cpuProbe() {
  const c = process.cpuUsage();
  return {
    'bench process': (c.user + c.system) / 1000,
    redis: redisPid ? procCpuMs(redisPid) : null,
    machine: machineBusyMs(),
  };
}

async function run(transport, mode, n) {
  const send = transports[transport];
  const sentAt = new Float64Array(n);
  const latency = new Float64Array(n);
  let received = 0;
  let expected = 0;
  let outOfOrder = 0;
  let wake = null;
  const allDone = new Promise((resolve) => {
    onMessage = (seq) => {
      const now = performance.now();
      if (seq !== expected) outOfOrder++;
      expected = seq + 1;
      latency[seq] = now - sentAt[seq];
      received++;
      if (wake) {
        const w = wake;
        wake = null;
        w();
      }
      if (received === n) resolve();
    };
  });
  const cpu0 = cpuProbe();
  const t0 = performance.now();
  if (mode === 'latency') {
    for (let i = 0; i < n; i++) {
      const arrived = new Promise((resolve) => (wake = resolve));
      sentAt[i] = performance.now();
      send(i).catch(() => undefined);
      await arrived;
    }
  } else if (mode === 'paced') {
    // Every timer tick sends what the schedule owes: a steady rate without a busy loop.
    let i = 0;
    while (i < n) {
      const due = Math.min(n, Math.floor(((performance.now() - t0) / 1000) * opts.rate) + 1);
      for (; i < due; i++) {
        sentAt[i] = performance.now();
        send(i).catch(() => undefined);
      }
      await sleep(1);
    }
  } else {
    for (let i = 0; i < n; i++) {
      sentAt[i] = performance.now();
      send(i).catch(() => undefined);
      if (i % BURST === BURST - 1) await yieldTurn();
    }
  }
  await allDone;
  const wallMs = performance.now() - t0;
  const cpu1 = cpuProbe();
  onMessage = () => undefined;
  const lat = Array.from(latency);
  const cores = {};
  for (const k of Object.keys(cpu1)) {
    if (cpu0[k] != null && cpu1[k] != null) cores[k] = round((cpu1[k] - cpu0[k]) / wallMs, 2);
  }
  return {
    transport,
    mode,
    messages: n,
    wall_ms: round(wallMs, 1),
    throughput_msg_s: Math.round(n / (wallMs / 1000)),
    latency_us: {
      p50: round(percentile(lat, 50) * 1000, 1),
      p90: round(percentile(lat, 90) * 1000, 1),
      p99: round(percentile(lat, 99) * 1000, 1),
      max: round(Math.max(...lat) * 1000, 1),
    },
    out_of_order: outOfOrder,
    cpu_cores: cores,
  };
}

const env = environment();
const combos = [
  ['pubsub', 'latency'],
  ['stream', 'latency'],
  ['pubsub', 'paced'],
  ['stream', 'paced'],
  ['pubsub', 'throughput'],
  ['stream', 'throughput'],
];
const raw = [];
let deleted = 0;
console.log(
  `transport benchmark: ${opts.messages} messages of ${Buffer.byteLength(message(opts.messages))} bytes, ` +
    `${opts.rounds} round(s), Redis ${opts.redisUrl}`,
);
try {
  const reading = streamLoop().catch((err) => {
    if (!stopStream) throw err;
  });
  for (const [transport] of combos.slice(0, 2)) await run(transport, 'throughput', opts.warmup);
  for (let r = 1; r <= opts.rounds; r++) {
    // Alternate the order of the transports from round to round: the machine is shared and drifts.
    const order = r % 2 === 1 ? combos : [...combos].reverse();
    for (const [transport, mode] of order) {
      const res = await run(transport, mode, opts.messages);
      raw.push({ round: r, ...res });
      console.log(
        `  round ${r} ${transport.padEnd(6)} ${mode.padEnd(10)}: p50 ${fmt(res.latency_us.p50)} us, ` +
          `p99 ${fmt(res.latency_us.p99)} us, ${res.throughput_msg_s} msg/s (load ${loadavg()[0].toFixed(2)})`,
      );
    }
  }
  stopStream = true;
  await reading;
} finally {
  stopStream = true;
  deleted = await producer.del(streamKey).catch(() => 0);
  for (const c of [producer, subscriber, streamReader]) c.disconnect();
}
env.load_average_at_end = loadavg().map((x) => round(x, 2));

const summary = combos.map(([transport, mode]) => {
  const runs = raw.filter((x) => x.transport === transport && x.mode === mode);
  const med = (f) => round(median(runs.map(f)), 1);
  return {
    transport,
    mode,
    latency_p50_us: med((x) => x.latency_us.p50),
    latency_p99_us: med((x) => x.latency_us.p99),
    throughput_msg_s: Math.round(median(runs.map((x) => x.throughput_msg_s))),
    bench_process_cores: round(median(runs.map((x) => x.cpu_cores['bench process'])), 2),
    redis_cores: round(median(runs.map((x) => x.cpu_cores.redis)), 2),
    machine_cores: round(median(runs.map((x) => x.cpu_cores.machine)), 2),
    out_of_order: runs.reduce((a, x) => a + x.out_of_order, 0),
  };
});
const label = { pubsub: 'PUBLISH / SUBSCRIBE', stream: `Stream (XADD MAXLEN ~ ${STREAM_MAXLEN} + XREAD BLOCK)` };
console.table(
  Object.fromEntries(
    summary.map((s) => [
      `${s.transport} ${s.mode}`,
      {
        'p50 us': s.latency_p50_us,
        'p99 us': s.latency_p99_us,
        'msg/s': s.throughput_msg_s,
        'bench cores': s.bench_process_cores,
        'redis cores': s.redis_cores,
      },
    ]),
  ),
);
const get = (t, m) => summary.find((s) => s.transport === t && s.mode === m);
const verdict = [
  `One message at a time, pub/sub delivers in ${fmt(get('pubsub', 'latency').latency_p50_us)} us p50 ` +
    `(${fmt(get('pubsub', 'latency').latency_p99_us)} us p99) against ${fmt(get('stream', 'latency').latency_p50_us)} us ` +
    `(${fmt(get('stream', 'latency').latency_p99_us)} us) for the stream.`,
  `At ${opts.rate} msg/s, pub/sub delivers in ${fmt(get('pubsub', 'paced').latency_p50_us)} us p50 ` +
    `(${fmt(get('pubsub', 'paced').latency_p99_us)} us p99) against ${fmt(get('stream', 'paced').latency_p50_us)} us ` +
    `(${fmt(get('stream', 'paced').latency_p99_us)} us) for the stream.`,
  `Back to back, pub/sub moves ${get('pubsub', 'throughput').throughput_msg_s} msg/s against ` +
    `${get('stream', 'throughput').throughput_msg_s} msg/s for the stream.`,
];
console.log(verdict.join('\n'));

const md = [
  '# Token transport: Redis pub/sub vs Redis Streams',
  '',
  `${opts.messages} messages of ${Buffer.byteLength(message(opts.messages))} bytes (a streamed token event) from one ` +
    'ioredis producer connection to one consumer connection, both in one Node process, against the local Redis. ' +
    '`latency`: one message in flight at a time (send, wait for arrival, send the next). ' +
    `\`paced\`: a steady ${opts.rate} msg/s (sent on 1 ms timer ticks). \`throughput\`: all messages ` +
    `sent back to back, yielding to the event loop every ${BURST} messages; latency there includes queueing. ` +
    `Stream consumer: XREAD BLOCK 1000 COUNT 1000 from the last id seen. Medians of ${opts.rounds} rounds ` +
    '(the order of the runs alternates from round to round).',
  '',
  `${env.date}, commit ${env.git_commit?.slice(0, 12) ?? 'unknown'}${env.git_dirty ? ' (dirty tree)' : ''}, ` +
    `${env.cpu_model} x ${env.cpu_count}, Node ${env.node}, ioredis ${env.packages.ioredis}, ` +
    `load average at start ${env.load_average_at_start.join(' / ')}, at end ${env.load_average_at_end.join(' / ')}.`,
  '',
  markdownTable(
    [
      'transport',
      'mode',
      'latency p50 (us)',
      'latency p99 (us)',
      'throughput (msg/s)',
      'bench process cores',
      'redis cores',
      'machine cores (of 2)',
    ],
    summary.map((s) => [
      label[s.transport],
      s.mode,
      fmt(s.latency_p50_us),
      fmt(s.latency_p99_us),
      String(s.throughput_msg_s),
      fmt(s.bench_process_cores, 2),
      fmt(s.redis_cores, 2),
      fmt(s.machine_cores, 2),
    ]),
  ),
  '',
  ...verdict,
  '',
  '## Runs',
  '',
  markdownTable(
    ['round', 'transport', 'mode', 'p50 (us)', 'p99 (us)', 'max (us)', 'msg/s'],
    raw.map((x) => [
      String(x.round),
      x.transport,
      x.mode,
      fmt(x.latency_us.p50),
      fmt(x.latency_us.p99),
      fmt(x.latency_us.max),
      String(x.throughput_msg_s),
    ]),
  ),
  '',
].join('\n');

const files = await writeResults(
  'transport',
  {
    benchmark: 'transport',
    config: {
      ...opts,
      burst: BURST,
      stream_maxlen: STREAM_MAXLEN,
      message_bytes: Buffer.byteLength(message(opts.messages)),
    },
    environment: env,
    summary,
    runs: raw,
  },
  md,
);
console.log(`cleaned up: ${deleted} Redis key(s) of ${runId} deleted\nwrote ${files.join(', ')}`);
