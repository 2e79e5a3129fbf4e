import { Module } from '@nestjs/common';
import { ModelCatalog } from './model-catalog.service';
import { ModelsController } from './models.controller';

/** The models this deployment serves (OpenAI Models API) and the catalog every model route resolves through. */
@Module({
  controllers: [ModelsController],
  providers: [ModelCatalog],
  exports: [ModelCatalog],
})
export class ModelsModule {}
