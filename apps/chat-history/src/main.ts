import { bootstrapHttpApp, readPlatformEnv, readVectorStoreEnv, startRpcServer } from '@llmp/platform';
import { AppModule } from './app.module';
import { readChatHistoryEnv } from './config/chat-history.config';

async function main() {
  // Validates the environment before anything connects: a bad value stops start-up naming the variable.
  const { port } = readChatHistoryEnv();
  readVectorStoreEnv();
  const { redisUrl, queuePrefix } = readPlatformEnv();
  await bootstrapHttpApp(AppModule, {
    port,
    configure: async (app) => {
      await startRpcServer(app, { redisUrl, queuePrefix, service: 'chat-history' });
    },
  });
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
