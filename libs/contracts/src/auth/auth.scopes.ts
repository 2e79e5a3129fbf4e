import { z } from 'zod';

/**
 * What a credential may do. A user token (JWT) holds every scope except `admin`, plus `admin` for admins; an API key
 * holds what its permissions give it, never more than its user (OpenAI's project keys: all / restricted /
 * read-only). The gateway checks the scope a route needs against `Principal.scopes`.
 */
export const SCOPES = [
  'models.read',
  'model.request',
  'conversations.read',
  'conversations.write',
  'usage.read',
  'api_keys.read',
  'api_keys.write',
  'data.delete',
  /** Files and vector stores: list, retrieve, download, search (`files.read`); upload, attach, change, delete. */
  'files.read',
  'files.write',
  'admin',
] as const;
export const ScopeSchema = z.enum(SCOPES);
export type Scope = z.infer<typeof ScopeSchema>;

/** `all`: what the user's own token holds; `read_only`: READ_ONLY_SCOPES; `restricted`: the listed scopes. */
export const API_KEY_PERMISSIONS = ['all', 'read_only', 'restricted'] as const;
export const ApiKeyPermissionsSchema = z.enum(API_KEY_PERMISSIONS);
export type ApiKeyPermissions = z.infer<typeof ApiKeyPermissionsSchema>;

/** The scopes of a `read_only` key. */
export const READ_ONLY_SCOPES: readonly Scope[] = [
  'models.read',
  'conversations.read',
  'usage.read',
  'api_keys.read',
  'files.read',
];
