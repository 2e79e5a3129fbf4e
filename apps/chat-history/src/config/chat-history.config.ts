import { registerAs } from '@nestjs/config';
import { envPort, parseEnv } from '@llmp/platform';

export function readChatHistoryEnv(env: NodeJS.ProcessEnv = process.env) {
  const cfg = parseEnv({ PORT: envPort.default(8002) }, env, 'chat-history');
  return { port: cfg.PORT };
}

export const chatHistoryConfig = registerAs('chatHistory', () => readChatHistoryEnv());
