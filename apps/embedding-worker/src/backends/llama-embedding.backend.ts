import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Llama, LlamaEmbeddingContext, LlamaModel, Token } from 'node-llama-cpp';
import type { EmbeddingModelDefinition } from '@llmp/platform';
import type { EmbeddingBackend } from './embedding-backend';
import { LlamaCpp, loadLlamaCpp } from './llama-cpp';
import { finish } from './vector-math';

const llamas = new Map<string, Promise<Llama>>();

/**
 * GGUF embedding models through node-llama-cpp (`model.createEmbeddingContext()`), pooled the way the GGUF says
 * (llama.cpp applies the model's pooling type) and normalised here when configured. node-llama-cpp embeds one
 * input at a time in its context, so a batch is a loop: batching still shares the job overhead, not the compute.
 * Token-id inputs are passed as given; node-llama-cpp adds the model's BOS/CLS and EOS/SEP tokens when missing,
 * for texts and token ids alike, and `countTokens` counts them.
 */
export class LlamaEmbeddingBackend implements EmbeddingBackend {
  private constructor(
    private readonly def: EmbeddingModelDefinition,
    private readonly model: LlamaModel,
    private readonly context: LlamaEmbeddingContext,
    readonly vocabSize: number,
  ) {}

  get dims(): number {
    return this.def.dimensions;
  }

  static async load(
    def: EmbeddingModelDefinition,
    modelsDir: string,
    log: (line: string) => void,
  ): Promise<LlamaEmbeddingBackend> {
    const lib = await loadLlamaCpp();
    const path = await resolvePath(lib, def, modelsDir, log);
    const llama = await llamaFor(lib, def.gpu);
    let model: LlamaModel;
    try {
      model = await llama.loadModel({ modelPath: path });
    } catch (err) {
      throw new Error(`Model ${def.id}: cannot load ${path}: ${(err as Error).message}`);
    }
    if (model.embeddingVectorSize !== def.dimensions) {
      await model.dispose();
      throw new Error(
        `Model ${def.id}: its vectors have ${model.embeddingVectorSize} dimensions, but the models config says ` +
          `dimensions: ${def.dimensions}`,
      );
    }
    // Room for max_tokens plus the BOS/EOS node-llama-cpp adds; the whole input is evaluated in one batch (non-causal
    // embedding models need that).
    const size = def.max_tokens + 2;
    const context = await model.createEmbeddingContext({
      contextSize: size,
      batchSize: size,
      threads: def.threads ?? 1,
    });
    const tokens = model.fileInfo.metadata.tokenizer?.ggml?.tokens as unknown[] | undefined;
    return new LlamaEmbeddingBackend(def, model, context, tokens?.length ?? Number.MAX_SAFE_INTEGER);
  }

  tokenize(texts: readonly string[]): number[][] {
    return texts.map((t) => this.model.tokenize(t) as number[]);
  }

  countTokens(inputs: readonly (readonly number[])[]): number[] {
    return inputs.map((ids) => (ids.length === 0 ? 0 : this.context.calculateInputLength(ids as Token[])));
  }

  async embed(inputs: readonly (readonly number[])[]): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    for (const ids of inputs) {
      if (ids.length === 0) {
        out.push(new Float32Array(this.dims));
        continue;
      }
      const { vector } = await this.context.getEmbeddingFor(ids as Token[]);
      out.push(finish(vector.length ? Float32Array.from(vector) : new Float32Array(this.dims), this.def.normalize));
    }
    return out;
  }

  async dispose(): Promise<void> {
    await this.context.dispose().catch(() => undefined);
    await this.model.dispose().catch(() => undefined);
  }
}

function llamaFor(lib: LlamaCpp, gpu: EmbeddingModelDefinition['gpu']): Promise<Llama> {
  const key = String(gpu);
  let llama = llamas.get(key);
  if (!llama) {
    llama = lib.getLlama({ gpu, logLevel: lib.LlamaLogLevel.error, build: 'never' });
    llamas.set(key, llama);
  }
  return llama;
}

async function resolvePath(
  lib: LlamaCpp,
  def: EmbeddingModelDefinition,
  modelsDir: string,
  log: (line: string) => void,
): Promise<string> {
  if (def.path) {
    const path = resolve(def.path);
    if (!existsSync(path)) throw new Error(`Model ${def.id}: file not found at ${path}`);
    return path;
  }
  // A hub URI (hf:owner/repo:quant, https://…) is downloaded once into models_dir, with a progress bar.
  log(`Model ${def.id}: resolving ${def.uri}`);
  return lib.resolveModelFile(def.uri!, { directory: resolve(modelsDir), cli: true });
}
