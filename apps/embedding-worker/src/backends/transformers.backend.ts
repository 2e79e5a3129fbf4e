import {
  AutoModel,
  AutoTokenizer,
  PreTrainedModel,
  PreTrainedTokenizer,
  PretrainedModelOptions,
  Tensor,
  env,
} from '@huggingface/transformers';
import { existsSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { EmbeddingModelDefinition } from '@llmp/platform';
import { downloadProgress } from './download-progress';
import type { EmbeddingBackend } from './embedding-backend';
import { poolTokenVectors, splitSentenceVectors } from './vector-math';

/**
 * ONNX embedding models through @huggingface/transformers (onnxruntime-node: CPU, or CUDA with `gpu: cuda`). The
 * package ships a CommonJS build beside its ES module (its `exports` has a `require` condition), so it is imported
 * statically, unlike node-llama-cpp (ESM with top-level await, loaded with a dynamic import).
 *
 * The tokenizer and the model are used directly rather than through `pipeline('feature-extraction')`: the worker
 * needs token ids before embedding (counts, limits, one tokenization per job), token-id inputs run on the model as
 * given (no decode and re-encode, no special tokens added), and pooling and normalisation are done here so that an
 * input with nothing to pool gives a zero vector instead of NaN.
 */
export class TransformersBackend implements EmbeddingBackend {
  private constructor(
    private readonly def: EmbeddingModelDefinition,
    private readonly tokenizer: PreTrainedTokenizer,
    private readonly model: PreTrainedModel,
    readonly vocabSize: number,
    private readonly padId: number,
  ) {}

  get dims(): number {
    return this.def.dimensions;
  }

  /**
   * Loads a local folder in the transformers.js layout offline, or downloads a hub id into `modelsDir` (with a
   * progress bar). Checks that the model's vectors have the configured `dimensions`.
   */
  static async load(
    def: EmbeddingModelDefinition,
    modelsDir: string,
    log: (line: string) => void,
  ): Promise<TransformersBackend> {
    const name = locate(def, modelsDir);
    const options: PretrainedModelOptions = {
      local_files_only: Boolean(def.path),
      // Local folders load offline: only a hub download reports progress.
      ...(def.uri ? { progress_callback: downloadProgress(`Model ${def.id}`, log) } : {}),
    };
    let tokenizer: PreTrainedTokenizer;
    let model: PreTrainedModel;
    try {
      tokenizer = await AutoTokenizer.from_pretrained(name, options);
      model = await AutoModel.from_pretrained(name, {
        ...options,
        dtype: def.dtype,
        device: def.gpu === 'cuda' ? 'cuda' : 'cpu',
        session_options: def.threads ? { intraOpNumThreads: def.threads, interOpNumThreads: 1 } : {},
      });
    } catch (err) {
      throw new Error(`Model ${def.id}: cannot load ${def.path ?? def.uri}: ${(err as Error).message}`);
    }
    const config = model.config as unknown as { vocab_size?: number; pad_token_id?: number };
    const backend = new TransformersBackend(
      def,
      tokenizer,
      model,
      config.vocab_size ?? Number.MAX_SAFE_INTEGER,
      tokenizer.pad_token_id ?? config.pad_token_id ?? 0,
    );
    const [probe] = await backend.embed(backend.tokenize(['hello world']));
    if (probe!.length !== def.dimensions) {
      await backend.dispose();
      throw new Error(
        `Model ${def.id}: its vectors have ${probe!.length} dimensions, but the models config says ` +
          `dimensions: ${def.dimensions}`,
      );
    }
    return backend;
  }

  tokenize(texts: readonly string[]): number[][] {
    return texts.map((t) => this.tokenizer.encode(t));
  }

  countTokens(inputs: readonly (readonly number[])[]): number[] {
    return inputs.map((ids) => ids.length);
  }

  async embed(inputs: readonly (readonly number[])[]): Promise<Float32Array[]> {
    if (inputs.length === 0) return [];
    const batch = inputs.length;
    // Padded to the longest input; the attention mask keeps padding out of the pooling. At least one column, so an
    // all-empty batch still has a shape the model accepts.
    const tokens = Math.max(1, ...inputs.map((ids) => ids.length));
    const ids = new BigInt64Array(batch * tokens).fill(BigInt(this.padId));
    const mask = new BigInt64Array(batch * tokens);
    const maskBits = new Uint8Array(batch * tokens);
    inputs.forEach((row, b) => {
      row.forEach((id, t) => {
        ids[b * tokens + t] = BigInt(id);
        mask[b * tokens + t] = 1n;
        maskBits[b * tokens + t] = 1;
      });
    });
    const out = (await this.model({
      input_ids: new Tensor('int64', ids, [batch, tokens]),
      attention_mask: new Tensor('int64', mask, [batch, tokens]),
    })) as Record<string, Tensor | undefined>;
    const { pooling, normalize } = this.def;
    if (pooling === 'none') {
      const t = asFloat32(out.sentence_embedding ?? out.pooler_output ?? out.text_embeds ?? firstOf(out));
      if (t.dims.length !== 2) throw new Error(`pooling none needs a [batch, dims] output; got [${t.dims}]`);
      return splitSentenceVectors(t.data as Float32Array, [t.dims[0]!, t.dims[1]!], normalize);
    }
    const t = asFloat32(out.last_hidden_state ?? out.token_embeddings ?? firstOf(out));
    if (t.dims.length !== 3)
      throw new Error(`pooling ${pooling} needs a [batch, tokens, dims] output; got [${t.dims}]`);
    return poolTokenVectors(t.data as Float32Array, [t.dims[0]!, t.dims[1]!, t.dims[2]!], maskBits, pooling, normalize);
  }

  async dispose(): Promise<void> {
    await this.model.dispose();
  }
}

/**
 * Points transformers.js at the model: a local folder is loaded offline (its parent becomes the local model path,
 * remote loading is off); a hub id is downloaded once into `modelsDir`. Loads are sequential, so setting the
 * library's global `env` before each is safe.
 */
function locate(def: EmbeddingModelDefinition, modelsDir: string): string {
  if (def.path) {
    const dir = resolve(def.path);
    if (!existsSync(join(dir, 'config.json'))) {
      throw new Error(`Model ${def.id}: no transformers.js model at ${dir} (config.json not found)`);
    }
    env.allowLocalModels = true;
    env.allowRemoteModels = false;
    env.localModelPath = `${dirname(dir)}/`;
    return basename(dir);
  }
  env.allowRemoteModels = true;
  env.cacheDir = resolve(modelsDir);
  return def.uri!;
}

function firstOf(out: Record<string, Tensor | undefined>): Tensor | undefined {
  return Object.values(out).find((t) => t !== undefined);
}

function asFloat32(t: Tensor | undefined): Tensor {
  if (!t) throw new Error('the model returned no output');
  return t.type === 'float32' ? t : t.to('float32');
}
