import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { DatabaseModule, HealthModule, ObservabilityModule, RedisModule, platformConfig } from '@llmp/platform';
import { ApiKeyEntity } from './api-keys/api-key.entity';
import { ApiKeysModule } from './api-keys/api-keys.module';
import { authConfig } from './config/auth.config';
import { AuthBaseline1732300000000 } from './database/migrations/1732300000000-auth-baseline';
import { AuthTables1732400000000 } from './database/migrations/1732400000000-auth-tables';
import { ApiKeyPermissions1732500000000 } from './database/migrations/1732500000000-api-key-permissions';
import { CostAndBudgets1732600000000 } from './database/migrations/1732600000000-cost-and-budgets';
import { SigningKeyEntity } from './signing/signing-key.entity';
import { RefreshTokenEntity } from './tokens/refresh-token.entity';
import { TokensModule } from './tokens/tokens.module';
import { UsageRecordEntity } from './usage/usage-record.entity';
import { UsageModule } from './usage/usage.module';
import { UserEntity } from './users/user.entity';
import { UsersModule } from './users/users.module';

@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [platformConfig, authConfig] }),
    ObservabilityModule.forRoot('auth'),
    HealthModule,
    RedisModule,
    DatabaseModule.forService({
      schema: 'auth',
      entities: [UserEntity, RefreshTokenEntity, ApiKeyEntity, UsageRecordEntity, SigningKeyEntity],
      migrations: [
        AuthBaseline1732300000000,
        AuthTables1732400000000,
        ApiKeyPermissions1732500000000,
        CostAndBudgets1732600000000,
      ],
    }),
    UsersModule,
    TokensModule,
    ApiKeysModule,
    UsageModule,
  ],
})
export class AppModule {}
