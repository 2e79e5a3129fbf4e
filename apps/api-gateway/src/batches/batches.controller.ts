import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { BatchListQuerySchema, BatchObject, CreateBatchRequestSchema, ListPage, Principal } from '@llmp/contracts';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import { RequireScope, assertScope } from '../auth/require-scope.decorator';
import { openApiSchema, parseBody } from '../http/zod-body';
import { BatchesService } from './batches.service';

/** OpenAI's Batch API: JSONL files of requests run in the background, at a lower priority than interactive ones. */
@ApiTags('batches')
@ApiBearerAuth()
@Controller('v1/batches')
export class BatchesController {
  constructor(private readonly batches: BatchesService) {}

  @RequireScope('model.request')
  @Post()
  @HttpCode(200)
  @ApiOperation({
    summary: "Create a batch from an uploaded JSONL file (purpose 'batch'); its lines run in the background",
  })
  @ApiBody({ schema: openApiSchema(CreateBatchRequestSchema) })
  create(@Body() body: unknown, @CurrentPrincipal() p: Principal): Promise<BatchObject> {
    const request = parseBody(CreateBatchRequestSchema, body);
    // The batch reads the input file and writes the output and error files as the caller.
    assertScope(p, 'files.read', 'input_file_id');
    assertScope(p, 'files.write', 'input_file_id');
    return this.batches.create(p, request);
  }

  @RequireScope('model.request')
  @Get()
  @ApiOperation({ summary: "List the caller's batches, newest first (cursor `after`, `limit` 1-100, default 20)" })
  list(@Query() query: unknown, @CurrentPrincipal() p: Principal): Promise<ListPage<BatchObject>> {
    return this.batches.list(p, parseBody(BatchListQuerySchema, query ?? {}));
  }

  @RequireScope('model.request')
  @Get(':id')
  @ApiOperation({ summary: 'Retrieve a batch: status, request_counts, output_file_id and error_file_id' })
  get(@Param('id') id: string, @CurrentPrincipal() p: Principal): Promise<BatchObject> {
    return this.batches.get(p, id);
  }

  @RequireScope('model.request')
  @Post(':id/cancel')
  @HttpCode(200)
  @ApiOperation({ summary: 'Cancel a batch: `cancelling` until its lines in flight stop, then `cancelled`' })
  cancel(@Param('id') id: string, @CurrentPrincipal() p: Principal): Promise<BatchObject> {
    return this.batches.cancel(p, id);
  }
}
