import { registerAs } from '@nestjs/config';
import { envPort, parseEnv } from '@llmp/platform';

export function readEmbeddingWorkerEnv(env: NodeJS.ProcessEnv = process.env) {
  const cfg = parseEnv({ PORT: envPort.default(8011) }, env, 'embedding-worker');
  return { port: cfg.PORT };
}

export const embeddingWorkerConfig = registerAs('embeddingWorker', () => readEmbeddingWorkerEnv());
