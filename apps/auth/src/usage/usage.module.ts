import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { TypeOrmModule } from '@nestjs/typeorm';
import { platformConfig } from '@llmp/platform';
import { UsageRecordEntity } from './usage-record.entity';
import { UsageController } from './usage.controller';
import { UsageProcessor } from './usage.processor';
import { UsageRepository } from './usage.repository';
import { UsageService } from './usage.service';

@Module({
  imports: [TypeOrmModule.forFeature([UsageRecordEntity]), ConfigModule.forFeature(platformConfig)],
  controllers: [UsageController],
  providers: [UsageRepository, UsageService, UsageProcessor],
})
export class UsageModule {}
