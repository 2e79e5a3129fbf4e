import fastifyMultipart from '@fastify/multipart';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { bootstrapHttpApp } from '@llmp/platform';
import { AppModule } from './app.module';
import { readGatewayEnv } from './config/gateway.config';
import { registerWebConsole } from './http/web-console';

async function main() {
  const cfg = readGatewayEnv();
  await bootstrapHttpApp(AppModule, {
    port: cfg.port,
    host: cfg.host,
    bodyLimitBytes: cfg.bodyLimitBytes,
    // Nest's Fastify adapter parses url-encoded bodies too (the OAuth2 password form of /v1/auth/token).
    configure: async (app) => {
      // multipart/form-data for `POST /v1/files`: streamed, so BODY_LIMIT_BYTES (JSON bodies) does not apply; the
      // route reads one file of at most RAG_FILE_MAX_BYTES (413 beyond it).
      await app.register(fastifyMultipart, { limits: { fileSize: cfg.ragFileMaxBytes, files: 1 } });
      await registerWebConsole(app, cfg.webConsoleDir);
      const doc = new DocumentBuilder()
        .setTitle('LLM Platform API')
        .setDescription('OpenAI-compatible API of the self-hosted LLM platform')
        .setVersion('0.1.0')
        .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'API key (sk-…) or access token' })
        .build();
      SwaggerModule.setup('docs', app, SwaggerModule.createDocument(app, doc), {
        jsonDocumentUrl: 'docs/openapi.json',
      });
    },
  });
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
