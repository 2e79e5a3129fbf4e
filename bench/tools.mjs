// Structured generation benchmark: validity and decode speed of grammar-constrained output (JSON schema
// response formats and forced function calls, as the inference worker runs them) against free generation of the
// same model in the same run, in-process with node-llama-cpp (the worker's own tool-call and grammar code from
// dist/). Rounds alternate the three modes so drift on this noisy machine hits them alike.
//
//   npm run bench -- tools [--runs 200] [--rounds 2]
//
// validity = the output parses as JSON and ajv validates it against the schema; free generation is asked for the
// same JSON and scored the same way (what an unconstrained server returns). Writes bench/results/tools.json/.md.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import {
  REPO_ROOT,
  environment,
  fmt,
  markdownTable,
  median,
  parseArgs,
  round,
  runMain,
  writeResults,
} from './lib/common.mjs';

const require = createRequire(import.meta.url);
const SHARED = resolve(REPO_ROOT, '..', 'shared');
const DIST = join(REPO_ROOT, 'dist', 'apps', 'inference-worker', 'src');

// The schemas of the tools e2e suite's validity tests.
const SCHEMAS = JSON.parse(readFileSync(join(REPO_ROOT, 'libs', 'testing', 'src', 'structured-schemas.json'), 'utf8'));

async function main() {
  const args = parseArgs(process.argv.slice(2), { runs: 200, rounds: 2, 'max-tokens': 200 });
  const { loadLlamaCpp } = require(join(DIST, 'models', 'llama-cpp.js'));
  const { forcedCallWrapper, toFunctions } = require(join(DIST, 'inference', 'tool-calls.js'));
  const { toGrammarSchema } = require(join(REPO_ROOT, 'dist', 'libs', 'platform', 'src', 'index.js'));
  const Ajv = require('ajv').default;
  const addFormats = require('ajv-formats').default;
  const ajv = new Ajv();
  addFormats(ajv);
  const lib = await loadLlamaCpp(); // applies the worker's grammar fixes
  const llama = await lib.getLlama({ gpu: false });
  const model = await llama.loadModel({ modelPath: join(SHARED, 'models', 'stories260K.gguf') });
  const context = await model.createContext({ contextSize: 2048, threads: 1, sequences: 1 });
  const sequence = context.getSequence();
  const wrapper = lib.resolveChatWrapper(model);
  const names = Object.keys(SCHEMAS);
  const grammars = {};
  for (const n of names) grammars[n] = await llama.createGrammarForJsonSchema(toGrammarSchema(SCHEMAS[n]));

  /** The same JSON request, with or without the schema's grammar. */
  const askJson = async (name, i, grammar) => {
    const chat = new lib.LlamaChat({ contextSequence: sequence, chatWrapper: wrapper, autoDisposeSequence: false });
    let tokens = 0;
    const t0 = performance.now();
    const res = await chat.generateResponse(
      [
        { type: 'user', text: `Reply with a JSON ${name} object ${i}.` },
        { type: 'model', response: [] },
      ],
      {
        maxTokens: args['max-tokens'],
        temperature: 1.2,
        seed: i,
        ...(grammar ? { grammar } : {}),
        onToken: (t) => (tokens += t.length),
      },
    );
    const ms = performance.now() - t0;
    chat.dispose({ disposeSequence: false });
    return { ms, tokens, text: res.response, cut: res.metadata.stopReason === 'maxTokens' };
  };
  const modes = {
    free: (name, i) => askJson(name, i, undefined),
    json_schema: (name, i) => askJson(name, i, grammars[name]),
    forced_call: async (name, i) => {
      const tools = [{ name, parameters: SCHEMAS[name] }];
      const chat = new lib.LlamaChat({
        contextSequence: sequence,
        chatWrapper: forcedCallWrapper(wrapper),
        autoDisposeSequence: false,
      });
      const t0 = performance.now();
      const res = await chat.generateResponse(
        [
          { type: 'user', text: `Make ${name} ${i}.` },
          { type: 'model', response: [] },
        ],
        {
          maxTokens: args['max-tokens'],
          temperature: 1.2,
          seed: i,
          functions: toFunctions(tools),
          maxParallelFunctionCalls: 1,
        },
      );
      const ms = performance.now() - t0;
      chat.dispose({ disposeSequence: false });
      const call = res.functionCalls?.[0];
      const tokens = call ? lib.LlamaText.fromJSON(call.raw).tokenize(model.tokenizer).length : 0;
      return { ms, tokens, text: call ? JSON.stringify(call.params) : '', cut: !call };
    },
  };

  const samples = { free: [], json_schema: [], forced_call: [] };
  const perRound = Math.ceil(args.runs / args.rounds);
  for (let round = 0; round < args.rounds; round++) {
    const order = Object.keys(modes);
    if (round % 2) order.reverse();
    for (const mode of order) {
      for (let k = 0; k < perRound && samples[mode].length < args.runs; k++) {
        const i = round * perRound + k;
        const name = names[i % names.length];
        const out = await modes[mode](name, i);
        let valid = false;
        try {
          valid = ajv.validate(SCHEMAS[name], JSON.parse(out.text));
        } catch {
          valid = false;
        }
        samples[mode].push({ ...out, valid, name });
      }
      console.log(`round ${round + 1}/${args.rounds} ${mode}: ${samples[mode].length} done`);
    }
  }

  const summary = {};
  for (const [mode, list] of Object.entries(samples)) {
    const finished = list.filter((s) => !s.cut);
    const tokens = list.reduce((a, s) => a + s.tokens, 0);
    const ms = list.reduce((a, s) => a + s.ms, 0);
    summary[mode] = {
      requests: list.length,
      finished: finished.length,
      valid: list.filter((s) => s.valid).length,
      validity_of_finished: round(finished.filter((s) => s.valid).length / Math.max(1, finished.length), 4),
      tokens,
      tokens_per_s: round(tokens / (ms / 1000), 1),
      request_ms_median: round(median(list.map((s) => s.ms)), 1),
      tokens_median: median(list.map((s) => s.tokens)),
    };
  }
  const ratio = (m) => round(summary[m].tokens_per_s / summary.free.tokens_per_s, 3);
  const json = {
    benchmark: 'tools',
    environment: environment(),
    args,
    model: 'stories260k',
    summary,
    ratios_vs_free: { json_schema: ratio('json_schema'), forced_call: ratio('forced_call') },
  };
  const md = [
    '# Structured generation: constrained vs free (stories260K, in-process, 1 thread)',
    '',
    `${args.runs} requests per mode over ${args.rounds} alternating rounds, 3 schemas (integers, numbers, enums, nested arrays, date/time formats, nullable, $defs), temperature 1.2, max ${args['max-tokens']} tokens. Run: \`npm run bench -- tools\`.`,
    '',
    markdownTable(
      [
        'mode',
        'requests',
        'finished',
        'valid (of finished)',
        'tokens/s',
        'vs free',
        'median request ms',
        'median tokens',
      ],
      Object.entries(summary).map(([m, s]) => [
        m,
        s.requests,
        s.finished,
        `${s.valid} (${fmt(s.validity_of_finished * 100, 1)}%)`,
        fmt(s.tokens_per_s, 0),
        m === 'free' ? '1.000' : String(ratio(m)),
        fmt(s.request_ms_median, 1),
        s.tokens_median,
      ]),
    ),
    '',
    'free = the same prompt asking for JSON without a grammar (what an unconstrained server returns); finished = not cut by max tokens.',
  ].join('\n');
  const files = await writeResults('tools', json, md);
  console.log(md);
  console.log(`wrote ${files.join(', ')}`);
  await context.dispose();
  await model.dispose();
}

await runMain(main);
