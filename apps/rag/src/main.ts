import { bootstrapHttpApp } from '@llmp/platform';
import { AppModule } from './app.module';
import { readRagEnv } from './config/rag.config';

async function main() {
  const { port } = readRagEnv();
  await bootstrapHttpApp(AppModule, { port });
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
