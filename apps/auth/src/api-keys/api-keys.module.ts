import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { EventsModule } from '../events/events.module';
import { UsersModule } from '../users/users.module';
import { ApiKeyEntity } from './api-key.entity';
import { ApiKeysController } from './api-keys.controller';
import { ApiKeysRepository } from './api-keys.repository';
import { ApiKeysService } from './api-keys.service';
import { DevApiKeyService } from './dev-api-key.service';

@Module({
  imports: [TypeOrmModule.forFeature([ApiKeyEntity]), UsersModule, EventsModule],
  controllers: [ApiKeysController],
  providers: [ApiKeysRepository, ApiKeysService, DevApiKeyService],
})
export class ApiKeysModule {}
