import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@llmp/platform';
import { readEmbeddingWorkerEnv } from './embedding-worker.config';

describe('readEmbeddingWorkerEnv', () => {
  let dir: string;
  let config: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'llmp-embedding-config-'));
    config = join(dir, 'models.yaml');
    writeFileSync(
      config,
      [
        'models:',
        '  - { id: chat, path: /c.gguf }',
        '  - { id: e1, kind: embedding, path: /e1, dimensions: 8 }',
        '  - { id: e2, kind: embedding, backend: llama, path: /e2.gguf, dimensions: 16 }',
        '',
      ].join('\n'),
    );
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('serves every embedding model by default, and only embedding models', () => {
    const cfg = readEmbeddingWorkerEnv({ MODELS_CONFIG: config });
    expect(cfg.models.map((m) => m.id)).toEqual(['e1', 'e2']);
    expect(cfg.port).toBe(8011);
  });

  it('serves the models EMBEDDING_WORKER_MODELS names', () => {
    const cfg = readEmbeddingWorkerEnv({ MODELS_CONFIG: config, EMBEDDING_WORKER_MODELS: 'e2' });
    expect(cfg.models.map((m) => m.id)).toEqual(['e2']);
  });

  it('refuses unknown models and generative models, naming them', () => {
    expect(() => readEmbeddingWorkerEnv({ MODELS_CONFIG: config, EMBEDDING_WORKER_MODELS: 'e1,nope' })).toThrow(
      /EMBEDDING_WORKER_MODELS names models missing .*: nope/,
    );
    expect(() => readEmbeddingWorkerEnv({ MODELS_CONFIG: config, EMBEDDING_WORKER_MODELS: 'chat' })).toThrow(
      /not embedding models .*: chat/,
    );
  });

  it('refuses a config without embedding models', () => {
    const only = join(dir, 'chat-only.yaml');
    writeFileSync(only, 'models:\n  - { id: chat, path: /c.gguf }\n');
    expect(() => readEmbeddingWorkerEnv({ MODELS_CONFIG: only })).toThrow(ConfigError);
  });
});
