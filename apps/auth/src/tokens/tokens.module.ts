import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { platformConfig } from '@llmp/platform';
import { SigningModule } from '../signing/signing.module';
import { UsersModule } from '../users/users.module';
import { LoginThrottle } from './login-throttle.service';
import { RefreshTokensModule } from './refresh-tokens.module';
import { TokensController } from './tokens.controller';
import { TokensService } from './tokens.service';

@Module({
  imports: [ConfigModule.forFeature(platformConfig), UsersModule, RefreshTokensModule, SigningModule],
  controllers: [TokensController],
  providers: [TokensService, LoginThrottle],
})
export class TokensModule {}
