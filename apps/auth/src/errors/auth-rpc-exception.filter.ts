import { Catch } from '@nestjs/common';
import { AuthRpcErrorSchema } from '@llmp/contracts';
import { DomainRpcExceptionFilter } from '@llmp/platform';
import { AuthError } from './auth.error';
import { authErrorFromZod } from './rpc-request';

/** Sends the auth service's RPC failures to the caller as `AuthRpcError`s (`{code, message, param, retryAfter?}`). */
@Catch()
export class AuthRpcExceptionFilter extends DomainRpcExceptionFilter {
  constructor() {
    super({ service: 'auth', errorClass: AuthError, fromZod: authErrorFromZod, payloadSchema: AuthRpcErrorSchema });
  }
}
