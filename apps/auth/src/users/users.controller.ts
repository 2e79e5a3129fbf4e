import { Controller, UseFilters } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { AUTH_RPC, ListPage, Principal, UserView } from '@llmp/contracts';
import { AuthRpcExceptionFilter } from '../errors/auth-rpc-exception.filter';
import { parseRequest } from '../errors/rpc-request';
import { UsersService } from './users.service';

@Controller()
@UseFilters(AuthRpcExceptionFilter)
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @MessagePattern(AUTH_RPC.register.pattern)
  register(@Payload() data: unknown): Promise<UserView> {
    return this.users.register(parseRequest(AUTH_RPC.register.request, data));
  }

  @MessagePattern(AUTH_RPC.me.pattern)
  me(@Payload() data: unknown): Promise<UserView> {
    return this.users.me(parseRequest(AUTH_RPC.me.request, data).userId);
  }

  @MessagePattern(AUTH_RPC.userPrincipal.pattern)
  principal(@Payload() data: unknown): Promise<Principal | null> {
    return this.users.principal(parseRequest(AUTH_RPC.userPrincipal.request, data).userId);
  }

  @MessagePattern(AUTH_RPC.listUsers.pattern)
  list(@Payload() data: unknown): Promise<ListPage<UserView>> {
    return this.users.list(parseRequest(AUTH_RPC.listUsers.request, data));
  }

  @MessagePattern(AUTH_RPC.updateUser.pattern)
  update(@Payload() data: unknown): Promise<UserView> {
    const { id, ...changes } = parseRequest(AUTH_RPC.updateUser.request, data);
    return this.users.update(id, changes);
  }
}
