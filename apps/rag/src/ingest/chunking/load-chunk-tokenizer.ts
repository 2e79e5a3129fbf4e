import { AutoTokenizer, env } from '@huggingface/transformers';
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { EmbeddingModelDefinition } from '@llmp/platform';
import type { ChunkTokenizer } from './chunk-tokenizer';

/** Pre-tokenizers that split at whitespace before the model sees a word, so counts add up over words. */
const SPLITTING_PRE_TOKENIZERS = new Set([
  'BertPreTokenizer',
  'Whitespace',
  'WhitespaceSplit',
  'Punctuation',
  'Digits',
]);

/**
 * The tokenizer of an embedding model, for chunking.
 *
 * - `transformers`: the model's own tokenizer.json through @huggingface/transformers, loaded the way the embedding
 *   worker loads it (a local folder offline; a hub id downloaded into `modelsDir`). Exact.
 * - `llama` with a local `path`: the GGUF's own vocabulary through node-llama-cpp (`vocabOnly`: no weights are
 *   loaded), with a dynamic import (node-llama-cpp is ESM with top-level await). Exact. Beware vocabularies without
 *   byte fallback (e.g. TinyStories-656K): llama.cpp aborts the process on a character outside them, here as in the
 *   embedding worker.
 * - `llama` with only a hub `uri` (nothing on this machine to read): `estimatingTokenizer()`, a conservative
 *   estimate, so chunks may be smaller than asked but never too long for a typical model.
 */
export async function loadChunkTokenizer(
  def: EmbeddingModelDefinition,
  opts: { modelsDir?: string } = {},
): Promise<ChunkTokenizer> {
  switch (def.backend) {
    case 'transformers':
      return loadTransformersTokenizer(def, opts.modelsDir ?? 'models');
    case 'llama':
      return def.path ? loadLlamaTokenizer(def, def.path) : estimatingTokenizer();
  }
}

async function loadTransformersTokenizer(def: EmbeddingModelDefinition, modelsDir: string): Promise<ChunkTokenizer> {
  let name: string;
  let additive = false;
  if (def.path) {
    const dir = resolve(def.path);
    const file = join(dir, 'tokenizer.json');
    if (!existsSync(file)) throw new Error(`Model ${def.id}: no tokenizer.json in ${dir}`);
    additive = splitsAtWhitespace(JSON.parse(readFileSync(file, 'utf8')) as TokenizerJson);
    // As in the embedding worker: a local folder loads offline, its parent being the local model path.
    env.allowLocalModels = true;
    env.allowRemoteModels = false;
    env.localModelPath = `${dirname(dir)}/`;
    name = basename(dir);
  } else {
    env.allowRemoteModels = true;
    env.cacheDir = resolve(modelsDir);
    name = def.uri!;
  }
  let tokenizer: Awaited<ReturnType<typeof AutoTokenizer.from_pretrained>>;
  try {
    tokenizer = await AutoTokenizer.from_pretrained(name, { local_files_only: Boolean(def.path) });
  } catch (err) {
    throw new Error(`Model ${def.id}: cannot load the tokenizer of ${def.path ?? def.uri}: ${(err as Error).message}`);
  }
  return {
    encode: (text) => tokenizer.encode(text, { add_special_tokens: false }),
    additive,
    // What the worker's `encode(text)` adds around every input ([CLS] … [SEP] for BERT; nothing for potion).
    specialTokens: tokenizer.encode('').length,
  };
}

interface TokenizerJson {
  model?: { type?: string };
  pre_tokenizer?: PreTokenizerJson | null;
}
interface PreTokenizerJson {
  type?: string;
  pretokenizers?: PreTokenizerJson[];
}

/** WordPiece/WordLevel behind pre-tokenizers that split at whitespace: a text's count is the sum of its words'. */
function splitsAtWhitespace(json: TokenizerJson): boolean {
  const model = json.model?.type;
  if (model !== 'WordPiece' && model !== 'WordLevel') return false;
  const pre = json.pre_tokenizer;
  if (!pre) return false;
  const parts = pre.type === 'Sequence' ? (pre.pretokenizers ?? []) : [pre];
  return (
    parts.some((p) => p.type !== 'Punctuation' && p.type !== 'Digits') &&
    parts.every((p) => SPLITTING_PRE_TOKENIZERS.has(p.type ?? ''))
  );
}

type LlamaCpp = typeof import('node-llama-cpp');

async function loadLlamaTokenizer(def: EmbeddingModelDefinition, path: string): Promise<ChunkTokenizer> {
  const { getLlama } = (await import('node-llama-cpp')) as LlamaCpp;
  const llama = await getLlama({ gpu: false });
  const model = await llama.loadModel({ modelPath: resolve(path), vocabOnly: true }).catch((err: Error) => {
    throw new Error(`Model ${def.id}: cannot load the vocabulary of ${path}: ${err.message}`);
  });
  return {
    encode: (text) => model.tokenize(text) as number[],
    additive: false,
    // node-llama-cpp adds BOS/CLS and EOS/SEP to an embedding input when the model has them.
    specialTokens: (model.tokens.bos === null ? 0 : 1) + (model.tokens.eos === null ? 0 : 1),
  };
}

/**
 * Counts tokens without a vocabulary: one token per 3 UTF-8 bytes, and one per non-ASCII character at least. Real
 * tokenizers give about 4 bytes per token on English prose and fewer on code or other scripts, so this errs on the
 * side of smaller chunks.
 */
export function estimatingTokenizer(): ChunkTokenizer {
  return {
    encode: (text) => {
      let bytes = 0;
      let wide = 0;
      for (const ch of text) {
        const cp = ch.codePointAt(0)!;
        bytes += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
        if (cp >= 0x80) wide++;
      }
      return new Array<number>(Math.max(Math.ceil(bytes / 3), wide)).fill(0);
    },
    additive: false,
    specialTokens: 2,
  };
}
