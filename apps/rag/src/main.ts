import { bootstrapHttpApp, readPlatformEnv, readVectorStoreEnv, startRpcServer } from '@llmp/platform';
import { AppModule } from './app.module';
import { RAG_VECTOR_STORE_DIR_DEFAULT, readEmbeddingModel, readRagEnv } from './config/rag.config';

async function main() {
  // Validates the environment before anything connects: a bad value stops start-up naming the variable.
  const { port, embeddingModel } = readRagEnv();
  readEmbeddingModel(embeddingModel);
  readVectorStoreEnv(undefined, { dir: RAG_VECTOR_STORE_DIR_DEFAULT });
  const { redisUrl, queuePrefix } = readPlatformEnv();
  await bootstrapHttpApp(AppModule, {
    port,
    configure: async (app) => {
      await startRpcServer(app, { redisUrl, queuePrefix, service: 'rag' });
    },
  });
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
