import { bootstrapHttpApp } from '@llmp/platform';
import { AppModule } from './app.module';
import { readAuthEnv } from './config/auth.config';

async function main() {
  const { port } = readAuthEnv();
  await bootstrapHttpApp(AppModule, { port });
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
