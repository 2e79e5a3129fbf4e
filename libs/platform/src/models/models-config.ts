import { z } from 'zod';
import { ConfigError } from '../config/env';
import { readYamlWithEnv } from '../config/yaml-file';

export const ModelCapabilitySchema = z.enum(['chat', 'completion']);
export type ModelCapability = z.infer<typeof ModelCapabilitySchema>;

const ModelIdSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]*$/, 'model ids are lowercase letters, digits, ".", "_" and "-"');
const GpuSchema = z.union([z.literal('auto'), z.literal('cuda'), z.literal('vulkan'), z.literal(false)]);

/** Per million tokens, in the operator's currency (USD in the docs); absent: free (a local model's own hardware). */
export const PricingSchema = z.object({ input: z.number().min(0), output: z.number().min(0) });
export type Pricing = z.infer<typeof PricingSchema>;

/** A generative model served by the inference worker (node-llama-cpp, GGUF). `kind: llm` is the default. */
export const LlmModelDefinitionSchema = z.object({
  id: ModelIdSchema,
  kind: z.literal('llm'),
  /** Local GGUF file (relative paths resolve against the working directory) … */
  path: z.string().min(1).optional(),
  /** … or a hub URI node-llama-cpp can resolve (`hf:owner/repo:quant`), downloaded into `models_dir`. */
  uri: z.string().min(1).optional(),
  capabilities: z.array(ModelCapabilitySchema).min(1).default(['chat', 'completion']),
  context_size: z.number().int().min(64).default(2048),
  /** Concurrent sequences decoded together from one context (llama-server's parallel slots). */
  slots: z.number().int().min(1).max(256).default(4),
  /**
   * Extra sequences beyond `slots` so a new request gets a fresh sequence at once while a finished one is still
   * being released (node-llama-cpp releases under a context-wide lock held by the batch loop). 1 disables it.
   */
  sequence_headroom: z.number().min(1).max(4).default(2),
  /** llama.cpp compute threads. Measured on 2 cores: 1 thread is 12-54x faster than 2 (spin-waiting). */
  threads: z.number().int().min(1).max(256).default(1),
  gpu: GpuSchema.default('auto'),
  batch_size: z.number().int().min(1).optional(),
  /**
   * What decodes: node-llama-cpp in the worker's process, or a llama-server process the worker supervises (its
   * continuous batching is 1.5–2x faster with several sequences on CPU; binary from LLAMA_SERVER_BIN). Function
   * calling and logprobs always run on node-llama-cpp.
   */
  engine: z.enum(['node-llama-cpp', 'llama-server']).default('node-llama-cpp'),
  /**
   * Jobs that may wait for this model beyond those being served (at least `slots`, or the busy slots of every
   * worker). Beyond it a request gets 429 `server_overloaded` with a Retry-After from the measured drain rate.
   * Absent: 4 × slots (concurrency for embedding models).
   */
  max_queue: z.number().int().min(0).max(100_000).optional(),
  /** The largest share of this model's slots and queue one user may hold at once (fairness between tenants). */
  max_user_share: z.number().gt(0).max(1).default(0.5),
  /** Upper bound for max_tokens when a request leaves it out. */
  default_max_tokens: z.number().int().min(1).default(512),
  /** What a request costs (the hardware's share, say); absent: free. */
  pricing: PricingSchema.optional(),
  owned_by: z.string().default('llm-platform'),
});
export type LlmModelDefinition = z.infer<typeof LlmModelDefinitionSchema>;

/** An embedding model served by the embedding worker: ONNX through transformers.js, or a GGUF through llama.cpp. */
export const EmbeddingModelDefinitionSchema = z.object({
  id: ModelIdSchema,
  kind: z.literal('embedding'),
  backend: z.enum(['transformers', 'llama']).default('transformers'),
  /**
   * transformers: a local folder in the transformers.js layout (config.json, tokenizer.json, onnx/model*.onnx);
   * llama: a local .gguf file …
   */
  path: z.string().min(1).optional(),
  /** … or a hub id (`owner/repo` for transformers, `hf:owner/repo:quant` for llama), downloaded into `models_dir`. */
  uri: z.string().min(1).optional(),
  /** transformers: which ONNX weights to load (`fp32` is onnx/model.onnx, `q8` onnx/model_quantized.onnx, …). */
  dtype: z.enum(['auto', 'fp32', 'fp16', 'q8', 'int8', 'uint8', 'q4', 'bnb4', 'q4f16']).default('fp32'),
  /** transformers: how token vectors become one vector (`none`: the model outputs sentence vectors itself). */
  pooling: z.enum(['mean', 'cls', 'none']).default('mean'),
  /** L2-normalise every vector (and again after `dimensions` truncation). */
  normalize: z.boolean().default(true),
  /** Longest input in tokens; longer inputs are rejected (400), never silently truncated. */
  max_tokens: z.number().int().min(1).default(512),
  /** The model's native vector size: lets the gateway validate `dimensions` without loading the model. */
  dimensions: z.number().int().min(1),
  /** Whether the model is trained so that a prefix of its vector is a good vector (Matryoshka): `dimensions` allowed. */
  matryoshka: z.boolean().default(false),
  /** Most texts in one model call; jobs that arrive together share a call, bigger requests are split. */
  batch_size: z.number().int().min(1).max(4096).default(64),
  /** How long the first text of a batch waits for others to join it. 0: only what arrived in the same tick. */
  batch_wait_ms: z.number().min(0).max(1000).default(2),
  /** Jobs one worker takes from the queue at once (the pool batches are gathered from). */
  concurrency: z.number().int().min(1).max(1024).default(64),
  /**
   * Jobs that may wait for this model beyond those being served (at least `slots`, or the busy slots of every
   * worker). Beyond it a request gets 429 `server_overloaded` with a Retry-After from the measured drain rate.
   * Absent: 4 × slots (concurrency for embedding models).
   */
  max_queue: z.number().int().min(0).max(100_000).optional(),
  /** The largest share of this model's slots and queue one user may hold at once (fairness between tenants). */
  max_user_share: z.number().gt(0).max(1).default(0.5),
  /** Compute threads (onnxruntime intra-op threads, llama.cpp threads). Absent: the runtime's default. */
  threads: z.number().int().min(1).max(256).optional(),
  /** llama: as for chat models. transformers: `cuda` runs on onnxruntime's CUDA provider, anything else on CPU. */
  gpu: GpuSchema.default('auto'),
  owned_by: z.string().default('llm-platform'),
});
export type EmbeddingModelDefinition = z.infer<typeof EmbeddingModelDefinitionSchema>;

/** How sensitive a request is (the `sensitivity` extension, or raised by PII detection). */
export const SensitivitySchema = z.enum(['public', 'internal', 'confidential']);
export type Sensitivity = z.infer<typeof SensitivitySchema>;

/** One upstream of a remote model; a model with several is balanced by least in-flight requests. */
const RemoteEndpointSchema = z.object({
  base_url: z.string().url(),
  /** The name of the environment variable holding the upstream's API key (the key itself is never in config). */
  api_key_env: z
    .string()
    .regex(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable name')
    .optional(),
});

/**
 * A model served by another server: `openai-compatible` (OpenAI, vLLM, Ollama, llama-server, another instance of
 * this platform) or `anthropic` (the Messages API). Called from the gateway, streamed through.
 */
export const RemoteModelDefinitionSchema = z.object({
  id: ModelIdSchema,
  kind: z.literal('remote'),
  provider: z.enum(['openai-compatible', 'anthropic']),
  endpoints: z.array(RemoteEndpointSchema).min(1),
  /** The model name the upstream knows it by. */
  upstream_model: z.string().min(1),
  capabilities: z.array(z.literal('chat')).min(1).default(['chat']),
  context_size: z.number().int().min(64).default(8192),
  default_max_tokens: z.number().int().min(1).default(1024),
  /**
   * The most sensitive requests it may see: `public` (default) or `internal`. Confidential requests never leave
   * the local models, whatever the config says.
   */
  max_sensitivity: z.enum(['public', 'internal']).default('public'),
  /** Longest wait for the upstream's first token before the route's next target is tried. */
  first_token_timeout_ms: z.number().int().min(100).default(30_000),
  /** Retries of one upstream for 429, 5xx and connection errors, with back-off honouring Retry-After. */
  max_retries: z.number().int().min(0).max(10).default(2),
  pricing: PricingSchema.optional(),
  owned_by: z.string().default('remote'),
});
export type RemoteModelDefinition = z.infer<typeof RemoteModelDefinitionSchema>;

/**
 * A virtual model (`auto`, an alias): requests naming it go to the first of its targets that may serve them
 * (sensitivity, context window, cost ceiling), the next ones on an upstream failure before the first token. A
 * complexity hint (`complexity: low | high`) puts the targets tagged with it first.
 */
export const RouteDefinitionSchema = z.object({
  id: ModelIdSchema,
  targets: z.array(z.object({ model: ModelIdSchema, complexity: z.enum(['low', 'high']).optional() })).min(1),
  /** Targets whose price (input + output per million tokens) is above it are skipped. */
  max_price: z.number().min(0).optional(),
  owned_by: z.string().default('llm-platform'),
});
export type RouteDefinition = z.infer<typeof RouteDefinitionSchema>;

/** One entry of the models config, by `kind` (absent: `llm`). */
export const ModelDefinitionSchema = z
  .preprocess(
    (v) => (v && typeof v === 'object' && !Array.isArray(v) && !('kind' in v) ? { ...v, kind: 'llm' } : v),
    z.discriminatedUnion('kind', [
      LlmModelDefinitionSchema,
      EmbeddingModelDefinitionSchema,
      RemoteModelDefinitionSchema,
    ]),
  )
  .superRefine((m, ctx) => {
    if (m.kind !== 'remote' && Boolean(m.path) === Boolean(m.uri))
      ctx.addIssue({ code: 'custom', message: 'set exactly one of path or uri', path: ['path'] });
  });
export type ModelDefinition = z.infer<typeof ModelDefinitionSchema>;
/** A model a worker of this platform serves (queued jobs), as opposed to a remote one. */
export type LocalModelDefinition = LlmModelDefinition | EmbeddingModelDefinition;
/** A model that generates: local (the inference worker) or remote. */
export type ChatModelDefinition = LlmModelDefinition | RemoteModelDefinition;

export const ModelsConfigSchema = z
  .object({
    models_dir: z.string().default('models-cache'),
    models: z.array(ModelDefinitionSchema).min(1),
    routes: z.array(RouteDefinitionSchema).default([]),
  })
  .superRefine((cfg, ctx) => {
    const seen = new Set<string>();
    cfg.models.forEach((m, i) => {
      if (seen.has(m.id))
        ctx.addIssue({ code: 'custom', message: `duplicate model id ${m.id}`, path: ['models', i, 'id'] });
      seen.add(m.id);
    });
    cfg.routes.forEach((r, i) => {
      if (seen.has(r.id))
        ctx.addIssue({
          code: 'custom',
          message: `route id ${r.id} is already a model or route`,
          path: ['routes', i, 'id'],
        });
      seen.add(r.id);
      r.targets.forEach((t, j) => {
        const m = cfg.models.find((x) => x.id === t.model);
        if (!m || m.kind === 'embedding')
          ctx.addIssue({
            code: 'custom',
            message: `route target ${t.model} is not a chat model of this config`,
            path: ['routes', i, 'targets', j, 'model'],
          });
      });
    });
  });
export type ModelsConfig = z.infer<typeof ModelsConfigSchema>;

export function loadModelsConfig(path: string, env: NodeJS.ProcessEnv): ModelsConfig {
  const parsed = ModelsConfigSchema.safeParse(readYamlWithEnv(path, env));
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid models config ${path}:\n${lines.join('\n')}`);
  }
  return parsed.data;
}

/** What the gateway admits for a model: jobs in service (at least this many) and jobs waiting beyond them. */
export function admissionLimits(m: LocalModelDefinition): { served: number; maxQueue: number; userShare: number } {
  const served = m.kind === 'llm' ? m.slots : m.concurrency;
  return { served, maxQueue: m.max_queue ?? 4 * served, userShare: m.max_user_share };
}
