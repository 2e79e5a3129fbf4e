import { bootstrapHttpApp } from '@llmp/platform';
import { AppModule } from './app.module';
import { readEmbeddingWorkerEnv } from './config/embedding-worker.config';

async function main() {
  const { port } = readEmbeddingWorkerEnv();
  await bootstrapHttpApp(AppModule, { port });
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
