import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { DatabaseModule, HealthModule, ObservabilityModule, RedisModule, platformConfig } from '@llmp/platform';
import { authConfig } from './config/auth.config';
import { AuthBaseline1732300000000 } from './database/migrations/1732300000000-auth-baseline';

@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [platformConfig, authConfig] }),
    ObservabilityModule.forRoot('auth'),
    HealthModule,
    RedisModule,
    DatabaseModule.forService({ schema: 'auth', entities: [], migrations: [AuthBaseline1732300000000] }),
  ],
})
export class AppModule {}
