import { z } from 'zod';

/** Raised at boot when configuration is invalid; the message names every offending variable. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/**
 * Validates a set of environment variables with a zod schema whose keys are the variable names.
 * A bad value stops start-up with a message naming the variable, e.g. `PORT: Expected number, received nan`.
 */
export function parseEnv<S extends z.ZodRawShape>(
  shape: S,
  env: NodeJS.ProcessEnv,
  context: string,
): z.output<z.ZodObject<S>> {
  const result = z.object(shape).safeParse(env);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid ${context} configuration:\n${lines.join('\n')}`);
  }
  return result.data;
}

/** Coerces env strings like "true"/"1"/"false"/"0" into booleans; anything else is a validation error. */
export const envBoolean = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

export const envPort = z.coerce.number().int().min(0).max(65535);
