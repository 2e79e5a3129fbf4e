import { Module } from '@nestjs/common';
import { FunctionRegistry } from './function-registry.service';
import { FunctionsController } from './functions.controller';
import { McpFunctions } from './mcp-functions.service';

/** Server-side functions: the built-ins and MCP tools, listed at /v1/functions and run by the tool loop. */
@Module({
  controllers: [FunctionsController],
  providers: [FunctionRegistry, McpFunctions],
  exports: [FunctionRegistry],
})
export class FunctionsModule {}
