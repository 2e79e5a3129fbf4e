import { bootstrapHttpApp, readPlatformEnv, startRpcServer } from '@llmp/platform';
import { AppModule } from './app.module';
import { readAuthEnv } from './config/auth.config';

async function main() {
  // Validates the environment (production refuses missing or default secrets) before anything connects.
  const { port } = readAuthEnv();
  const { redisUrl, queuePrefix } = readPlatformEnv();
  await bootstrapHttpApp(AppModule, {
    port,
    configure: async (app) => {
      await startRpcServer(app, { redisUrl, queuePrefix, service: 'auth' });
    },
  });
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
