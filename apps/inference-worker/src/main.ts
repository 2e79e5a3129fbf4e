import { bootstrapHttpApp } from '@llmp/platform';
import { AppModule } from './app.module';
import { readWorkerEnv } from './config/worker.config';

async function main() {
  // Validates the environment and the models config before anything loads.
  const { port } = readWorkerEnv();
  await bootstrapHttpApp(AppModule, { port });
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
