import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { EmbeddingModelDefinition, ReadinessRegistry } from '@llmp/platform';
import type { EmbeddingBackend } from '../backends/embedding-backend';
import { LlamaEmbeddingBackend } from '../backends/llama-embedding.backend';
import { TransformersBackend } from '../backends/transformers.backend';
import { embeddingWorkerConfig } from '../config/embedding-worker.config';
import { Batcher } from '../embedding/batcher';
import { EmbeddingMetrics } from '../metrics/embedding.metrics';

/** A model this worker serves: its backend and the batcher every job of the model goes through. */
export interface LoadedEmbeddingModel {
  readonly id: string;
  readonly definition: EmbeddingModelDefinition;
  readonly backend: EmbeddingBackend;
  readonly batcher: Batcher<readonly number[], Float32Array>;
}

/** Loads the embedding models at start-up; a missing or broken model stops the worker with a message naming it. */
@Injectable()
export class EmbeddingModelHost implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(EmbeddingModelHost.name);
  private readonly loaded = new Map<string, LoadedEmbeddingModel>();
  private disposed = false;

  constructor(
    @Inject(embeddingWorkerConfig.KEY) private readonly cfg: ConfigType<typeof embeddingWorkerConfig>,
    private readonly readiness: ReadinessRegistry,
    private readonly metrics: EmbeddingMetrics,
  ) {}

  async onModuleInit(): Promise<void> {
    for (const def of this.cfg.models) this.loaded.set(def.id, await this.load(def));
    this.readiness.register('models', async () => {
      if (this.disposed) throw new Error('models are unloaded');
    });
  }

  get models(): LoadedEmbeddingModel[] {
    return [...this.loaded.values()];
  }

  private async load(def: EmbeddingModelDefinition): Promise<LoadedEmbeddingModel> {
    const started = performance.now();
    const log = (line: string) => this.logger.log(line);
    const backend =
      def.backend === 'llama'
        ? await LlamaEmbeddingBackend.load(def, this.cfg.modelsDir, log)
        : await TransformersBackend.load(def, this.cfg.modelsDir, log);
    const labels = { model: def.id };
    const batcher = new Batcher<readonly number[], Float32Array>(
      (inputs) => backend.embed(inputs),
      { maxBatchSize: def.batch_size, maxWaitMs: def.batch_wait_ms },
      (s) => {
        this.metrics.batchSize.observe(labels, s.size);
        this.metrics.batchWait.observe(labels, s.waitedMs / 1000);
        this.metrics.batchSeconds.observe(labels, s.runMs / 1000);
        if (!s.failed && s.runMs > 0) this.metrics.textsPerSecond.observe(labels, s.size / (s.runMs / 1000));
      },
    );
    this.logger.log(
      `Model ${def.id} (${def.backend}) loaded from ${def.path ?? def.uri} in ${Math.round(performance.now() - started)} ms ` +
        `(${def.dimensions} dimensions, max ${def.max_tokens} tokens, batches of up to ${def.batch_size} ` +
        `gathered for up to ${def.batch_wait_ms} ms)`,
    );
    return { id: def.id, definition: def, backend, batcher };
  }

  async onApplicationShutdown(): Promise<void> {
    this.disposed = true;
    for (const m of this.loaded.values()) await m.backend.dispose().catch(() => undefined);
  }
}
