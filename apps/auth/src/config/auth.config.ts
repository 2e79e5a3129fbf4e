import { registerAs } from '@nestjs/config';
import { envPort, parseEnv } from '@llmp/platform';

export function readAuthEnv(env: NodeJS.ProcessEnv = process.env) {
  const cfg = parseEnv({ PORT: envPort.default(8001) }, env, 'auth');
  return { port: cfg.PORT };
}

export const authConfig = registerAs('auth', () => readAuthEnv());
