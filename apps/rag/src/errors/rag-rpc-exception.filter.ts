import { Catch } from '@nestjs/common';
import { RagRpcErrorSchema } from '@llmp/contracts';
import { DomainRpcExceptionFilter } from '@llmp/platform';
import { RagError } from './rag.error';
import { ragErrorFromZod } from './rpc-request';

/** Sends the rag service's RPC failures to the caller as `RagRpcError`s (`{code, message, param}`). */
@Catch()
export class RagRpcExceptionFilter extends DomainRpcExceptionFilter {
  constructor() {
    super({ service: 'rag', errorClass: RagError, fromZod: ragErrorFromZod, payloadSchema: RagRpcErrorSchema });
  }
}
