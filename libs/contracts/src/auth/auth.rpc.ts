import { z } from 'zod';
import {
  CreateApiKeyFieldsSchema,
  ListQuerySchema,
  PrincipalSchema,
  RegisterRequestSchema,
  TokenRequestSchema,
  UpdateUserRequestSchema,
  UsageQuerySchema,
  refineApiKeyScopes,
} from './auth.schemas';

/**
 * Request/response patterns the auth app serves over @nestjs/microservices (Redis transport). The gateway is the
 * only caller. Requests are validated by the auth app with these schemas; failures come back as an
 * `AuthRpcError` payload.
 */
export const AUTH_RPC = {
  register: { pattern: 'auth.user.register.v1', request: RegisterRequestSchema },
  issueToken: { pattern: 'auth.token.issue.v1', request: TokenRequestSchema.extend({ ip: z.string().max(64) }) },
  refreshToken: { pattern: 'auth.token.refresh.v1', request: z.object({ refresh_token: z.string() }) },
  revokeToken: {
    pattern: 'auth.token.revoke.v1',
    request: z.object({ refresh_token: z.string(), userId: z.string().uuid() }),
  },
  jwks: { pattern: 'auth.jwks.get.v1', request: z.object({}) },
  /** The principal behind a user id (JWT callers); null when the user is unknown or disabled. */
  userPrincipal: { pattern: 'auth.user.principal.v1', request: z.object({ userId: z.string().uuid() }) },
  /** The principal behind an API key (sha256 hex of the presented key); null when unknown, revoked or expired. */
  keyPrincipal: {
    pattern: 'auth.api-key.principal.v1',
    request: z.object({ keyHash: z.string().regex(/^[0-9a-f]{64}$/) }),
  },
  me: { pattern: 'auth.user.get.v1', request: z.object({ userId: z.string().uuid() }) },
  /**
   * Creates a key for `userId`. `creatorKeyId` is the id of the API key the request was authenticated with (null
   * for a user token): a key can only create keys within what it holds itself (scopes, models, limits, expiry).
   */
  createApiKey: {
    pattern: 'auth.api-key.create.v1',
    request: CreateApiKeyFieldsSchema.extend({
      userId: z.string().uuid(),
      creatorKeyId: z.string().uuid().nullable(),
    }).superRefine(refineApiKeyScopes),
  },
  listApiKeys: { pattern: 'auth.api-key.list.v1', request: ListQuerySchema.extend({ userId: z.string().uuid() }) },
  revokeApiKey: {
    pattern: 'auth.api-key.revoke.v1',
    request: z.object({ userId: z.string().uuid(), id: z.string() }),
  },
  listUsers: { pattern: 'auth.user.list.v1', request: ListQuerySchema },
  updateUser: { pattern: 'auth.user.update.v1', request: UpdateUserRequestSchema.extend({ id: z.string() }) },
  usage: {
    pattern: 'auth.usage.query.v1',
    request: UsageQuerySchema.omit({ user_id: true }).extend({ userId: z.string().uuid().nullable() }),
  },
} as const;

export type AuthRpcName = keyof typeof AUTH_RPC;
export type AuthRpcRequest<N extends AuthRpcName> = z.input<(typeof AUTH_RPC)[N]['request']>;
export const NullablePrincipalSchema = PrincipalSchema.nullable();

export enum AuthErrorCode {
  InvalidRequest = 'invalid_request',
  WeakPassword = 'weak_password',
  UsernameTaken = 'username_taken',
  InvalidCredentials = 'invalid_credentials',
  InvalidToken = 'invalid_token',
  TooManyAttempts = 'too_many_attempts',
  /** The credential lacks a scope, or a key asked to create a key with more than it holds (403). */
  PermissionDenied = 'permission_denied',
  NotFound = 'not_found',
  /** An unexpected failure inside the auth service (logged there with `errorId`). */
  Internal = 'internal',
}

/** The payload of an RPC failure (thrown as RpcException by the auth app). */
export const AuthRpcErrorSchema = z.object({
  code: z.nativeEnum(AuthErrorCode),
  message: z.string(),
  param: z.string().nullable().default(null),
  /** Seconds, for too_many_attempts. */
  retryAfter: z.number().int().optional(),
  errorId: z.string().optional(),
});
export type AuthRpcError = z.infer<typeof AuthRpcErrorSchema>;

/**
 * Pushed by the auth app on `<prefix>:auth:events` whenever a credential stops being valid or a user's limits
 * change, so every gateway replica drops its cached answer at once.
 */
export const AuthEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('api_key.revoked'), keyId: z.string(), userId: z.string() }),
  z.object({ type: z.literal('user.changed'), userId: z.string() }),
]);
export type AuthEvent = z.infer<typeof AuthEventSchema>;

export function authEventsChannel(prefix: string): string {
  return `${prefix}:auth:events`;
}
