import { Module } from '@nestjs/common';
import { ChunksModule } from '../chunks/chunks.module';
import { FilesModule } from '../files/files.module';
import { VectorStoresModule } from '../vector-stores/vector-stores.module';
import { ExpiryPurger } from './expiry-purger';

/** The periodic purge of expired vector stores and files, and the retry of failed vector deletions. */
@Module({
  imports: [ChunksModule, FilesModule, VectorStoresModule],
  providers: [ExpiryPurger],
})
export class ExpiryModule {}
