import { z } from 'zod';
import { ConfigError } from '../config/env';
import { readYamlWithEnv } from '../config/yaml-file';

export const ModelCapabilitySchema = z.enum(['chat', 'completion']);
export type ModelCapability = z.infer<typeof ModelCapabilitySchema>;

export const ModelDefinitionSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'model ids are lowercase letters, digits, ".", "_" and "-"'),
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
    gpu: z.union([z.literal('auto'), z.literal('cuda'), z.literal('vulkan'), z.literal(false)]).default('auto'),
    batch_size: z.number().int().min(1).optional(),
    /** Upper bound for max_tokens when a request leaves it out. */
    default_max_tokens: z.number().int().min(1).default(512),
    owned_by: z.string().default('llm-platform'),
  })
  .refine((m) => Boolean(m.path) !== Boolean(m.uri), { message: 'set exactly one of path or uri', path: ['path'] });
export type ModelDefinition = z.infer<typeof ModelDefinitionSchema>;

export const ModelsConfigSchema = z
  .object({
    models_dir: z.string().default('models-cache'),
    models: z.array(ModelDefinitionSchema).min(1),
  })
  .superRefine((cfg, ctx) => {
    const seen = new Set<string>();
    cfg.models.forEach((m, i) => {
      if (seen.has(m.id))
        ctx.addIssue({ code: 'custom', message: `duplicate model id ${m.id}`, path: ['models', i, 'id'] });
      seen.add(m.id);
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
