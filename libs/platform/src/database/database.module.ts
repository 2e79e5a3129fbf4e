import { DynamicModule, Module } from '@nestjs/common';
import { ConfigModule, ConfigType } from '@nestjs/config';
import { TypeOrmModule, getDataSourceToken } from '@nestjs/typeorm';
import { DataSource, MixedList } from 'typeorm';
import { platformConfig } from '../config/platform.config';
import { ReadinessRegistry } from '../health/readiness.registry';
import { ensureDatabaseAndSchema } from './ensure-database';

export interface ServiceDatabaseOptions {
  /** The Postgres schema this service owns; no other service reads or writes it. */
  schema: string;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  entities: MixedList<Function>;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  migrations: MixedList<Function>;
}

/** TypeORM for one service: its own schema, its own migrations table, migrations run at boot, never synchronize. */
@Module({})
export class DatabaseModule {
  static forService(opts: ServiceDatabaseOptions): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRootAsync({
          imports: [ConfigModule.forFeature(platformConfig)],
          inject: [platformConfig.KEY],
          useFactory: async (platform: ConfigType<typeof platformConfig>) => {
            await ensureDatabaseAndSchema(platform.databaseUrl, opts.schema);
            return {
              type: 'postgres' as const,
              url: platform.databaseUrl,
              schema: opts.schema,
              entities: opts.entities,
              migrations: opts.migrations,
              migrationsTableName: 'migrations',
              migrationsRun: true,
              migrationsTransactionMode: 'each' as const,
              synchronize: false,
              extra: { max: 10 },
            };
          },
        }),
      ],
      providers: [
        {
          provide: 'DATABASE_READINESS',
          inject: [getDataSourceToken(), ReadinessRegistry],
          useFactory: (ds: DataSource, readiness: ReadinessRegistry) => {
            readiness.register('postgres', async () => {
              await ds.query('SELECT 1');
            });
            return true;
          },
        },
      ],
      exports: [TypeOrmModule],
    };
  }
}
