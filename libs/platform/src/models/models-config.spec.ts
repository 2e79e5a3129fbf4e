import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigError } from '../config/env';
import { ModelsConfigSchema, loadModelsConfig } from './models-config';

function issuesOf(input: unknown): { path: string; message: string }[] {
  const parsed = ModelsConfigSchema.safeParse(input);
  if (parsed.success) return [];
  return parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
}

describe('ModelsConfigSchema', () => {
  it('applies the documented defaults to a minimal model', () => {
    const cfg = ModelsConfigSchema.parse({ models: [{ id: 'tiny', path: '/models/tiny.gguf' }] });
    expect(cfg.models_dir).toBe('models-cache');
    expect(cfg.models[0]).toEqual({
      id: 'tiny',
      kind: 'llm',
      path: '/models/tiny.gguf',
      capabilities: ['chat', 'completion'],
      context_size: 2048,
      slots: 4,
      sequence_headroom: 2,
      threads: 1,
      gpu: 'auto',
      engine: 'node-llama-cpp',
      default_max_tokens: 512,
      owned_by: 'llm-platform',
      max_user_share: 0.5,
    });
  });

  it('takes engine llama-server and refuses an engine it does not know, naming the field', () => {
    const ok = ModelsConfigSchema.parse({ models: [{ id: 'x', path: '/m.gguf', engine: 'llama-server' }] });
    expect(ok.models[0]).toMatchObject({ engine: 'llama-server' });
    const bad = ModelsConfigSchema.safeParse({ models: [{ id: 'x', path: '/m.gguf', engine: 'vllm' }] });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.path).toEqual(['models', 0, 'engine']);
  });

  it('keeps explicit values over defaults', () => {
    const cfg = ModelsConfigSchema.parse({
      models_dir: '/cache',
      models: [{ id: 'x', uri: 'hf:o/r:Q4', capabilities: ['completion'], slots: 2, gpu: false, threads: 3 }],
    });
    expect(cfg.models_dir).toBe('/cache');
    expect(cfg.models[0]).toMatchObject({ uri: 'hf:o/r:Q4', capabilities: ['completion'], slots: 2, gpu: false });
    expect(cfg.models[0]).toMatchObject({ threads: 3 });
  });

  it('rejects duplicate model ids, pointing at the second one', () => {
    const issues = issuesOf({
      models: [
        { id: 'a', path: '/a.gguf' },
        { id: 'b', path: '/b.gguf' },
        { id: 'a', path: '/a2.gguf' },
      ],
    });
    expect(issues).toEqual([{ path: 'models.2.id', message: 'duplicate model id a' }]);
  });

  it('requires exactly one of path or uri', () => {
    expect(issuesOf({ models: [{ id: 'neither' }] })).toEqual([
      { path: 'models.0.path', message: 'set exactly one of path or uri' },
    ]);
    expect(issuesOf({ models: [{ id: 'both', path: '/m.gguf', uri: 'hf:o/r' }] })).toEqual([
      { path: 'models.0.path', message: 'set exactly one of path or uri' },
    ]);
    expect(issuesOf({ models: [{ id: 'p', path: '/m.gguf' }] })).toEqual([]);
    expect(issuesOf({ models: [{ id: 'u', uri: 'hf:o/r' }] })).toEqual([]);
  });

  it('rejects out-of-range numbers and bad ids, naming the field', () => {
    expect(issuesOf({ models: [{ id: 'm', path: '/m.gguf', slots: 0 }] }).map((i) => i.path)).toEqual([
      'models.0.slots',
    ]);
    expect(issuesOf({ models: [{ id: 'm', path: '/m.gguf', context_size: 10 }] }).map((i) => i.path)).toEqual([
      'models.0.context_size',
    ]);
    expect(issuesOf({ models: [{ id: 'Bad Id', path: '/m.gguf' }] }).map((i) => i.path)).toEqual(['models.0.id']);
    expect(issuesOf({ models: [] }).map((i) => i.path)).toEqual(['models']);
  });
});

describe('embedding models', () => {
  it('applies the documented defaults; dimensions is required', () => {
    const cfg = ModelsConfigSchema.parse({
      models: [{ id: 'e', kind: 'embedding', path: '/models/e', dimensions: 384 }],
    });
    expect(cfg.models[0]).toEqual({
      id: 'e',
      kind: 'embedding',
      backend: 'transformers',
      path: '/models/e',
      dtype: 'fp32',
      pooling: 'mean',
      normalize: true,
      max_tokens: 512,
      dimensions: 384,
      matryoshka: false,
      batch_size: 64,
      batch_wait_ms: 2,
      concurrency: 64,
      gpu: 'auto',
      owned_by: 'llm-platform',
      max_user_share: 0.5,
    });
    expect(issuesOf({ models: [{ id: 'e', kind: 'embedding', path: '/e' }] }).map((i) => i.path)).toEqual([
      'models.0.dimensions',
    ]);
  });

  it('keeps llm fields off embedding models and the other way round', () => {
    const cfg = ModelsConfigSchema.parse({
      models: [
        { id: 'chat', path: '/c.gguf', slots: 2 },
        { id: 'emb', kind: 'embedding', uri: 'Xenova/all-MiniLM-L6-v2', dimensions: 384, slots: 9 },
      ],
    });
    expect(cfg.models[0]).toMatchObject({ kind: 'llm', slots: 2 });
    expect(cfg.models[1]).not.toHaveProperty('slots');
    expect(cfg.models[1]).not.toHaveProperty('capabilities');
  });

  it('names the field of a bad embedding entry, and rejects unknown kinds and backends', () => {
    expect(
      issuesOf({ models: [{ id: 'e', kind: 'embedding', path: '/e', dimensions: 8, pooling: 'max' }] }).map(
        (i) => i.path,
      ),
    ).toEqual(['models.0.pooling']);
    expect(
      issuesOf({ models: [{ id: 'e', kind: 'embedding', path: '/e', dimensions: 8, backend: 'tf' }] }).map(
        (i) => i.path,
      ),
    ).toEqual(['models.0.backend']);
    expect(issuesOf({ models: [{ id: 'e', kind: 'reranker', path: '/e' }] }).map((i) => i.path)).toEqual([
      'models.0.kind',
    ]);
    expect(issuesOf({ models: [{ id: 'e', kind: 'embedding', dimensions: 8 }] })).toEqual([
      { path: 'models.0.path', message: 'set exactly one of path or uri' },
    ]);
  });
});

describe('loadModelsConfig', () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'llmp-models-'));
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads the repository models.yaml with its environment defaults', () => {
    const cfg = loadModelsConfig(resolve(__dirname, '../../../../infra/config/models.yaml'), {});
    expect(cfg.models.map((m) => m.id)).toEqual([
      'stories260k',
      'tinystories-656k',
      'potion-base-2m',
      'glove-sif-100d',
    ]);
    const stories = cfg.models[0]!;
    if (stories.kind !== 'llm') throw new Error('stories260k should be an llm');
    expect(stories.capabilities).toEqual(['chat', 'completion']);
    expect(stories.slots).toBe(8);
    expect(stories.context_size).toBe(2048);
    expect(stories.path).toBe('../shared/models/stories260K.gguf');
    expect(cfg.models[1]).toMatchObject({ kind: 'llm', capabilities: ['completion'] });
    expect(cfg.models[2]).toMatchObject({
      kind: 'embedding',
      backend: 'transformers',
      path: '../shared/models/potion-base-2M',
      dimensions: 64,
      matryoshka: false,
      max_tokens: 512,
    });
    expect(cfg.models[3]).toMatchObject({ kind: 'embedding', dimensions: 100 });
  });

  it('interpolates the environment into numbers', () => {
    const cfg = loadModelsConfig(resolve(__dirname, '../../../../infra/config/models.yaml'), {
      STORIES_SLOTS: '3',
      MODELS_DIR: '/opt/models',
    });
    expect(cfg.models[0]).toMatchObject({ slots: 3 });
    expect(cfg.models[0]).toMatchObject({ path: '/opt/models/stories260K.gguf' });
  });

  it('fails with a ConfigError that names the file and the offending field', () => {
    const path = join(dir, 'bad.yaml');
    writeFileSync(path, 'models:\n  - id: m\n    path: /m.gguf\n    slots: 0\n');
    let caught: unknown;
    try {
      loadModelsConfig(path, {});
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as Error).message).toContain(path);
    expect((caught as Error).message).toContain('models.0.slots');
  });
});
