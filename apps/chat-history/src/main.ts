import { bootstrapHttpApp } from '@llmp/platform';
import { AppModule } from './app.module';
import { readChatHistoryEnv } from './config/chat-history.config';

async function main() {
  const { port } = readChatHistoryEnv();
  await bootstrapHttpApp(AppModule, { port });
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
