import type { z } from 'zod';

/** What a built-in function may use when it runs. */
export interface FunctionContext {
  /** Ends with the request (or the function timeout): pass it to any I/O. */
  signal: AbortSignal;
  weatherProviderUrl: string | null;
  now(): Date;
}

/**
 * A function the platform runs itself. Its zod schema validates the arguments and is the source of the JSON
 * schema the model sees (and decodes under). A function reports a failure by throwing a `ToolError`: the
 * message goes back to the model as the call's result.
 */
export interface BuiltinFunction<S extends z.ZodTypeAny = z.ZodTypeAny> {
  name: string;
  description: string;
  schema: S;
  run(args: z.infer<S>, ctx: FunctionContext): Promise<unknown> | unknown;
}

/** A failure the model is told about (bad timezone, no weather provider…), not a server error. */
export class ToolError extends Error {}

export function defineFunction<S extends z.ZodTypeAny>(fn: BuiltinFunction<S>): BuiltinFunction<S> {
  return fn;
}
