import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ChatHistoryItem, ChatWrapper, Llama, LlamaModel } from 'node-llama-cpp';
import { LlmModelDefinition, ReadinessRegistry } from '@llmp/platform';
import { workerConfig } from '../config/worker.config';
import { LlamaServerEngine } from '../engines/llama-server-engine';
import { CharsetGuard } from './charset-guard';
import { LlamaCpp, loadLlamaCpp } from './llama-cpp';
import { LoadedModel } from './loaded-model';
import { Vocabulary } from './vocabulary';

const DEFAULT_MESSAGE_OVERHEAD = 4;

/** Loads the models this worker serves at start-up; a missing or corrupt file stops the worker naming the path. */
@Injectable()
export class ModelHost implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(ModelHost.name);
  private readonly llamas = new Map<string, Promise<Llama>>();
  private readonly loaded = new Map<string, LoadedModel>();

  constructor(
    @Inject(workerConfig.KEY) private readonly cfg: ConfigType<typeof workerConfig>,
    private readonly readiness: ReadinessRegistry,
  ) {}

  async onModuleInit(): Promise<void> {
    const lib = await loadLlamaCpp();
    for (const def of this.cfg.models) {
      const loaded = await this.load(lib, def);
      this.loaded.set(def.id, loaded);
    }
    this.readiness.register('models', async () => {
      for (const m of this.loaded.values()) {
        if (m.model.disposed) throw new Error(`model ${m.id} is not loaded`);
        m.engine?.check();
      }
    });
  }

  get models(): LoadedModel[] {
    return [...this.loaded.values()];
  }

  private llamaFor(lib: LlamaCpp, gpu: LlmModelDefinition['gpu']): Promise<Llama> {
    const key = String(gpu);
    let llama = this.llamas.get(key);
    if (!llama) {
      llama = lib.getLlama({ gpu, logLevel: lib.LlamaLogLevel.error, build: 'never' });
      this.llamas.set(key, llama);
    }
    return llama;
  }

  private async resolvePath(lib: LlamaCpp, def: LlmModelDefinition): Promise<string> {
    if (def.path) {
      const path = resolve(def.path);
      if (!existsSync(path)) throw new Error(`Model ${def.id}: file not found at ${path}`);
      return path;
    }
    // A hub URI (hf:owner/repo:quant, https://…) is downloaded once into models_dir, with a progress bar.
    this.logger.log(`Model ${def.id}: resolving ${def.uri}`);
    return lib.resolveModelFile(def.uri!, { directory: resolve(this.cfg.modelsDir), cli: true });
  }

  private async load(lib: LlamaCpp, def: LlmModelDefinition): Promise<LoadedModel> {
    const started = performance.now();
    const path = await this.resolvePath(lib, def);
    const llama = await this.llamaFor(lib, def.gpu);
    let model;
    try {
      model = await llama.loadModel({ modelPath: path });
    } catch (err) {
      throw new Error(`Model ${def.id}: cannot load ${path}: ${(err as Error).message}`);
    }
    const context = await model.createContext({
      contextSize: def.context_size,
      sequences: Math.ceil(def.slots * def.sequence_headroom),
      threads: def.threads,
      ...(def.batch_size ? { batchSize: def.batch_size } : {}),
    });
    const chatWrapper = lib.resolveChatWrapper(model);
    const tokens = model.fileInfo.metadata.tokenizer?.ggml?.tokens as string[] | undefined;
    const charset = CharsetGuard.fromVocabulary(String(model.vocabularyType), tokens);
    this.logger.log(
      `Model ${def.id} loaded from ${path} in ${Math.round(performance.now() - started)} ms ` +
        `(gpu ${llama.gpu || 'none'}, ${def.slots} slots, ${def.threads} threads, context ${context.contextSize}, ` +
        `chat wrapper ${chatWrapper.wrapperName}${charset.restricted ? ', restricted charset' : ''})`,
    );
    const overhead = measureMessageOverhead(model, chatWrapper, charset);
    const vocabulary = Vocabulary.fromGguf(String(model.vocabularyType), tokens);
    const engine = def.engine === 'llama-server' ? await this.startLlamaServer(def, path, context.contextSize) : null;
    return new LoadedModel(lib, def, model, context, chatWrapper, charset, overhead, vocabulary, engine);
  }

  private startLlamaServer(def: LlmModelDefinition, path: string, contextPerSlot: number): Promise<LlamaServerEngine> {
    const bin = this.cfg.llamaServerBin;
    if (!bin) {
      throw new Error(
        `Model ${def.id} has engine llama-server but LLAMA_SERVER_BIN is not set (npm run llama-server:build prints the path of a build)`,
      );
    }
    if (!existsSync(bin)) throw new Error(`Model ${def.id}: LLAMA_SERVER_BIN ${bin} does not exist`);
    return LlamaServerEngine.start(bin, path, def, contextPerSlot);
  }

  async onApplicationShutdown(): Promise<void> {
    for (const m of this.loaded.values()) {
      await m.engine?.stop();
      await m.context.dispose().catch(() => undefined);
      await m.model.dispose().catch(() => undefined);
    }
  }
}

/**
 * Template tokens per message: the growth of a rendered chat per added exchange, minus its text's tokens. A model
 * whose vocabulary cannot tokenize its own chat template (llama.cpp would abort the process) gets a default; it
 * cannot serve chat anyway.
 */
function measureMessageOverhead(model: LlamaModel, wrapper: ChatWrapper, charset: CharsetGuard): number {
  const text = 'hello';
  const rendered = (history: ChatHistoryItem[]) => wrapper.generateContextState({ chatHistory: history }).contextText;
  const sample = rendered([
    { type: 'user', text },
    { type: 'model', response: [text] },
  ]);
  if (charset.unsupported(sample.toString()).length > 0) return DEFAULT_MESSAGE_OVERHEAD;
  const render = (history: ChatHistoryItem[]) => rendered(history).tokenize(model.tokenizer).length;
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
