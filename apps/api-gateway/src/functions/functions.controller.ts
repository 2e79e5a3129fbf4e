import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { RequireScope } from '../auth/require-scope.decorator';
import { FunctionRegistry } from './function-registry.service';

@ApiTags('functions')
@ApiBearerAuth()
@Controller('v1/functions')
export class FunctionsController {
  constructor(private readonly registry: FunctionRegistry) {}

  @RequireScope('models.read')
  @Get()
  @ApiOperation({
    summary: 'List the functions the server can run (built-ins and MCP tools), with their JSON schemas',
    description:
      "Extension. Name them in `tools` with `tool_execution: 'server'` on /v1/chat/completions (their schemas " +
      'are filled in), or leave `tools` out to offer all of them.',
  })
  list() {
    return { object: 'list', data: this.registry.list().map((f) => ({ object: 'function', ...f })) };
  }
}
