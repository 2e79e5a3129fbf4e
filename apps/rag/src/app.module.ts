import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import {
  DatabaseModule,
  HealthModule,
  ObservabilityModule,
  QueueModule,
  RedisModule,
  platformConfig,
} from '@llmp/platform';
import { ragConfig } from './config/rag.config';
import { RagBaseline1732300000000 } from './database/migrations/1732300000000-rag-baseline';
import { RagTables1733000000000 } from './database/migrations/1733000000000-rag-tables';
import { RagExpiry1734000000000 } from './database/migrations/1734000000000-rag-expiry';
import { RAG_ENTITIES } from './database/storage.module';
import { ExpiryModule } from './expiry/expiry.module';
import { FilesModule } from './files/files.module';
import { IngestModule } from './ingest/ingest.module';
import { SearchModule } from './search/search.module';
import { UsersModule } from './users/users.module';
import { VectorStoresModule } from './vector-stores/vector-stores.module';

@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [platformConfig, ragConfig] }),
    ObservabilityModule.forRoot('rag'),
    HealthModule,
    RedisModule,
    QueueModule,
    DatabaseModule.forService({
      schema: 'rag',
      entities: RAG_ENTITIES,
      migrations: [RagBaseline1732300000000, RagTables1733000000000, RagExpiry1734000000000],
    }),
    FilesModule,
    VectorStoresModule,
    IngestModule,
    SearchModule,
    UsersModule,
    ExpiryModule,
  ],
})
export class AppModule {}
