import { Redis } from 'ioredis';
import type { JSONWebKeySet } from 'jose';
import {
  AUTH_RPC,
  ApiKeyCreated,
  ApiKeyView,
  AuthEvent,
  AuthRpcError,
  AuthRpcName,
  AuthRpcRequest,
  ListPage,
  Principal,
  TokenResponse,
  UsageReport,
  UserView,
  authEventsChannel,
} from '@llmp/contracts';
import { RpcServiceHarness, RunningApp, startApp, startRpcServiceHarness } from '@llmp/testing';

export const ADMIN_PASSWORD = 'Admin-test-pass-42';

/** What each pattern answers (the auth app's side of the contract). */
export interface AuthRpcResponses {
  register: UserView;
  issueToken: TokenResponse;
  refreshToken: TokenResponse;
  revokeToken: { revoked: true };
  jwks: JSONWebKeySet;
  userPrincipal: Principal | null;
  keyPrincipal: Principal | null;
  me: UserView;
  createApiKey: ApiKeyCreated;
  listApiKeys: ListPage<ApiKeyView>;
  revokeApiKey: { id: string; object: 'api_key'; deleted: true };
  listUsers: ListPage<UserView>;
  updateUser: UserView;
  usage: UsageReport;
}

export interface AuthHarness extends RpcServiceHarness<AuthRpcName> {
  /** Calls a pattern the way the gateway does; resolves with the answer. */
  call<N extends AuthRpcName>(name: N, data: AuthRpcRequest<N>): Promise<AuthRpcResponses[N]>;
  /** Calls a pattern that must fail; resolves with the error payload as the ClientProxy delivers it. */
  callError(name: AuthRpcName, data: unknown): Promise<AuthRpcError & Record<string, unknown>>;
  /** Events pushed on `<prefix>:auth:events` since the harness started. */
  events: AuthEvent[];
  waitForEvent(match: (e: AuthEvent) => boolean, timeoutMs?: number): Promise<AuthEvent>;
  /** Starts another replica on the same database, Redis and prefix (stopped with the harness). */
  startReplica(): Promise<RunningApp>;
}

/** The built auth app as a process (own database, own Redis, own queue prefix) and an RPC client for it. */
export async function startAuth(env: Record<string, string> = {}): Promise<AuthHarness> {
  const service = await startRpcServiceHarness({
    app: 'auth',
    patterns: AUTH_RPC,
    dbPrefix: 'llmp_auth',
    queuePrefix: 'llmpauth',
    env: { AUTH_ADMIN_PASSWORD: ADMIN_PASSWORD, ...env },
  });
  try {
    const events: AuthEvent[] = [];
    const sub = new Redis(service.redisUrl);
    service.onStop(async () => sub.disconnect());
    sub.on('message', (_channel: string, message: string) => events.push(JSON.parse(message) as AuthEvent));
    await sub.subscribe(authEventsChannel(service.prefix));

    return {
      ...service,
      call: <N extends AuthRpcName>(name: N, data: AuthRpcRequest<N>) => service.send<AuthRpcResponses[N]>(name, data),
      callError: async (name, data) => (await service.sendError(name, data)) as AuthRpcError & Record<string, unknown>,
      events,
      waitForEvent: async (match, timeoutMs = 5000) => {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          const found = events.find(match);
          if (found) return found;
          if (Date.now() > deadline) throw new Error(`no matching event; got ${JSON.stringify(events)}`);
          await new Promise((r) => setTimeout(r, 20));
        }
      },
      startReplica: async () => {
        const replica = await startApp('auth', service.appEnv);
        service.onStop(() => replica.stop());
        return replica;
      },
    };
  } catch (err) {
    await service.stop();
    throw err;
  }
}

let seq = 0;
/** A username unique to this run. */
export function uniqueUsername(base = 'user'): string {
  return `${base}${Date.now().toString(36)}${(seq++).toString(36)}`;
}

export const STRONG_PASSWORD = 'Str0ng-enough-pass';
