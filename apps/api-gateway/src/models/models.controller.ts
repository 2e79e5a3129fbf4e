import { Controller, Get, Param } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ModelCatalog } from './model-catalog.service';

@ApiTags('models')
@Controller('v1/models')
export class ModelsController {
  constructor(private readonly catalog: ModelCatalog) {}

  @Get()
  @ApiOperation({ summary: 'List models (OpenAI Models API)' })
  list() {
    return { object: 'list', data: this.catalog.list() };
  }

  @Get(':id')
  @ApiOperation({ summary: 'Retrieve a model' })
  get(@Param('id') id: string) {
    return this.catalog.get(id);
  }
}
