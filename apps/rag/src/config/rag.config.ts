import { registerAs } from '@nestjs/config';
import { envPort, parseEnv } from '@llmp/platform';

export function readRagEnv(env: NodeJS.ProcessEnv = process.env) {
  const cfg = parseEnv({ PORT: envPort.default(8003) }, env, 'rag');
  return { port: cfg.PORT };
}

export const ragConfig = registerAs('rag', () => readRagEnv());
