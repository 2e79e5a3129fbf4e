import { Controller, Get, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Principal } from '@llmp/contracts';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import { ModelCatalog } from './model-catalog.service';
import { RequireScope } from '../auth/require-scope.decorator';

@ApiTags('models')
@ApiBearerAuth()
@Controller('v1/models')
export class ModelsController {
  constructor(private readonly catalog: ModelCatalog) {}

  @RequireScope('models.read')
  @Get()
  @ApiOperation({ summary: 'List models (OpenAI Models API)' })
  list(@CurrentPrincipal() p: Principal) {
    return { object: 'list', data: this.catalog.list(p) };
  }

  @RequireScope('models.read')
  @Get(':id')
  @ApiOperation({ summary: 'Retrieve a model' })
  get(@Param('id') id: string, @CurrentPrincipal() p: Principal) {
    return this.catalog.get(id, p);
  }
}
