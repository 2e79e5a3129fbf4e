import { Module } from '@nestjs/common';
import { StorageModule } from '../database/storage.module';
import { JobOutboxMetrics } from './job-outbox.metrics';
import { JobOutboxRelay } from './job-outbox.relay';
import { JobOutbox } from './job-outbox.service';

/** The transactional outbox of the jobs appends ask for, and its relay. */
@Module({
  imports: [StorageModule],
  providers: [JobOutbox, JobOutboxMetrics, JobOutboxRelay],
  exports: [JobOutbox],
})
export class OutboxModule {}
