import { z } from 'zod';
import { ApiKeyPermissions, ApiKeyPermissionsSchema, SCOPES, Scope, ScopeSchema } from './auth.scopes';

export * from './auth.scopes';

export const RoleSchema = z.enum(['admin', 'user']);
export type Role = z.infer<typeof RoleSchema>;

export const USERNAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9._-]{2,63}$/;

/** `POST /v1/auth/register` body (public HTTP shape, snake_case). */
export const RegisterRequestSchema = z.object({
  username: z
    .string()
    .min(3, 'username must be 3-64 characters')
    .max(64, 'username must be 3-64 characters')
    .regex(USERNAME_PATTERN, 'username may contain letters, digits, ".", "_" and "-", starting with a letter or digit'),
  /** Strength rules are checked by the auth service, which names the rule that failed. */
  password: z.string().max(256, 'password must be at most 256 characters'),
  email: z.string().email().max(254).optional(),
});
export type RegisterRequest = z.infer<typeof RegisterRequestSchema>;

export const TokenRequestSchema = z.object({
  username: z.string().min(1).max(64),
  password: z.string().min(1).max(256),
  grant_type: z.literal('password').optional(),
});
export type TokenRequest = z.infer<typeof TokenRequestSchema>;

export const RefreshRequestSchema = z.object({ refresh_token: z.string().min(16).max(512) });
export const LogoutRequestSchema = z.object({ refresh_token: z.string().min(16).max(512) });

export const TokenResponseSchema = z.object({
  access_token: z.string(),
  token_type: z.literal('bearer'),
  expires_in: z.number().int(),
  refresh_token: z.string(),
});
export type TokenResponse = z.infer<typeof TokenResponseSchema>;

export const LimitsSchema = z.object({
  rpm: z.number().int().positive().nullable(),
  tpm: z.number().int().positive().nullable(),
});
export type Limits = z.infer<typeof LimitsSchema>;

export const UserViewSchema = z.object({
  id: z.string().uuid(),
  object: z.literal('user'),
  username: z.string(),
  email: z.string().nullable(),
  role: RoleSchema,
  disabled: z.boolean(),
  /** The user's own limits; null means the platform default. */
  rpm_limit: z.number().int().nullable(),
  tpm_limit: z.number().int().nullable(),
  /** Most the user may spend per calendar month (UTC), in the price table's currency; null: no budget. */
  monthly_budget: z.number().nullable(),
  created_at: z.number().int(),
});
export type UserView = z.infer<typeof UserViewSchema>;

/** The fields of `POST /v1/api-keys`; use CreateApiKeyRequestSchema (which adds the scopes rule) to validate. */
export const CreateApiKeyFieldsSchema = z.object({
  name: z.string().min(1).max(100),
  /** Unix seconds. A key created by a key that expires: absent = the creator's expiry. */
  expires_at: z.number().int().positive().nullable().optional(),
  /** Model ids this key may use; absent or null = all (a key created by a model-restricted key: absent = its list). */
  models: z.array(z.string().min(1).max(128)).min(1).max(100).nullable().optional(),
  /** A key created by a key with limits: absent = the creator's limit. */
  rpm: z.number().int().positive().max(1_000_000).nullable().optional(),
  tpm: z.number().int().positive().max(1_000_000_000).nullable().optional(),
  /** `all` (default): what the user's token may do; `read_only`; `restricted`: only `scopes`. */
  permissions: ApiKeyPermissionsSchema.default('all'),
  /** Required with `permissions: 'restricted'`, refused otherwise. */
  scopes: z.array(ScopeSchema).min(1).max(SCOPES.length).optional(),
});

/** `scopes` goes with `permissions: 'restricted'` and only with it. */
export function refineApiKeyScopes(req: { permissions: ApiKeyPermissions; scopes?: Scope[] }, ctx: z.RefinementCtx) {
  if (req.permissions === 'restricted' && !req.scopes) {
    ctx.addIssue({ code: 'custom', path: ['scopes'], message: "scopes is required with permissions 'restricted'" });
  }
  if (req.permissions !== 'restricted' && req.scopes) {
    ctx.addIssue({ code: 'custom', path: ['scopes'], message: "scopes is only allowed with permissions 'restricted'" });
  }
}

export const CreateApiKeyRequestSchema = CreateApiKeyFieldsSchema.superRefine(refineApiKeyScopes);
export type CreateApiKeyRequest = z.infer<typeof CreateApiKeyRequestSchema>;

export const ApiKeyViewSchema = z.object({
  id: z.string().uuid(),
  object: z.literal('api_key'),
  name: z.string(),
  /** The first characters of the key (`sk-abc123…`), to recognise it; never the secret. */
  prefix: z.string(),
  models: z.array(z.string()).nullable(),
  rpm: z.number().int().nullable(),
  tpm: z.number().int().nullable(),
  expires_at: z.number().int().nullable(),
  permissions: ApiKeyPermissionsSchema,
  /** The scopes the key holds now (its permissions, within what its user may do). */
  scopes: z.array(ScopeSchema),
  last_used_at: z.number().int().nullable(),
  created_at: z.number().int(),
});
export type ApiKeyView = z.infer<typeof ApiKeyViewSchema>;

export const ApiKeyCreatedSchema = ApiKeyViewSchema.extend({ key: z.string() });
export type ApiKeyCreated = z.infer<typeof ApiKeyCreatedSchema>;

export const UpdateUserRequestSchema = z.object({
  disabled: z.boolean().optional(),
  role: RoleSchema.optional(),
  rpm_limit: z.number().int().positive().nullable().optional(),
  tpm_limit: z.number().int().positive().nullable().optional(),
  monthly_budget: z.number().min(0).max(1e9).nullable().optional(),
});
export type UpdateUserRequest = z.infer<typeof UpdateUserRequestSchema>;

export const ListQuerySchema = z.object({
  after: z.string().uuid().optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});
export type ListQuery = z.infer<typeof ListQuerySchema>;

export interface ListPage<T> {
  object: 'list';
  data: T[];
  has_more: boolean;
  first_id: string | null;
  last_id: string | null;
}

export const UsageQuerySchema = z
  .object({
    /** Unix seconds or ISO dates; default: the last 30 days. */
    from: z.union([z.coerce.number().int(), z.string().datetime({ offset: true }), z.string().date()]).optional(),
    to: z.union([z.coerce.number().int(), z.string().datetime({ offset: true }), z.string().date()]).optional(),
    group_by: z.enum(['model', 'key', 'day']).default('model'),
    /** Admins only: whose usage. */
    user_id: z.string().uuid().optional(),
  })
  .strict();
export type UsageQuery = z.infer<typeof UsageQuerySchema>;

export const UsageRowSchema = z.object({
  group: z.string(),
  requests: z.number().int(),
  prompt_tokens: z.number().int(),
  completion_tokens: z.number().int(),
  total_tokens: z.number().int(),
  /** What the requests cost by the models' price table (0 for unpriced models). */
  cost: z.number(),
});
export type UsageRow = z.infer<typeof UsageRowSchema>;

export interface UsageReport {
  object: 'usage.report';
  group_by: 'model' | 'key' | 'day';
  from: number;
  to: number;
  data: UsageRow[];
}

/**
 * Who is calling, as the gateway sees it after authentication. Limits are resolved (defaults applied); null
 * means unlimited.
 */
export const PrincipalSchema = z.object({
  userId: z.string().uuid(),
  username: z.string(),
  role: RoleSchema,
  keyId: z.string().uuid().nullable(),
  /** Models the key may use (null: all). */
  models: z.array(z.string()).nullable(),
  keyLimits: LimitsSchema.nullable(),
  /** The user's monthly budget (null: none); the gateway refuses generations once the month's spend reaches it. */
  monthlyBudget: z.number().nullable().default(null),
  userLimits: LimitsSchema,
  /** Unix seconds; the gateway stops accepting the key then even if its cache still holds it. */
  expiresAt: z.number().int().nullable(),
  /** What this credential may do (see SCOPES): the route's scope must be in it. */
  scopes: z.array(ScopeSchema),
});
export type Principal = z.infer<typeof PrincipalSchema>;
