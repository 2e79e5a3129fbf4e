import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { zodToJsonSchema } from 'zod-to-json-schema';
import { gatewayConfig } from '../config/gateway.config';
import { BuiltinFunction, ToolError } from './builtin-function';
import { convertTimezone } from './builtins/convert-timezone';
import { dateAdd } from './builtins/date-add';
import { dateDifference } from './builtins/date-difference';
import { getCurrentTime } from './builtins/get-current-time';
import { getWeather } from './builtins/get-weather';

export const BUILTIN_FUNCTIONS: readonly BuiltinFunction[] = [
  getCurrentTime,
  convertTimezone,
  dateAdd,
  dateDifference,
  getWeather,
];

/** A function the platform can run, as `GET /v1/functions` lists it. */
export interface ServerFunction {
  name: string;
  description: string;
  parameters: Record<string, unknown>;
  /** `builtin`, or `mcp:<server>` for a tool of a configured MCP server. */
  source: string;
}

/** What running a call gave: its output for the model, and whether it failed. */
export interface FunctionOutcome {
  output: string;
  error: boolean;
}

/** A source of server-side functions besides the built-ins (an MCP server). */
export interface FunctionProvider {
  list(): ServerFunction[];
  call(name: string, args: Record<string, unknown>, signal: AbortSignal): Promise<unknown>;
}

export function jsonSchemaOf(fn: BuiltinFunction): Record<string, unknown> {
  // zod-to-json-schema's generics recurse past tsc's limit on a ZodTypeAny: call it through a plain signature.
  const toJson = zodToJsonSchema as unknown as (s: unknown, o: object) => Record<string, unknown>;
  const { $schema: _s, ...schema } = toJson(fn.schema, { $refStrategy: 'none' });
  return schema;
}

/**
 * The functions the gateway runs itself for `tool_execution: 'server'`: the built-ins (one file each) and the
 * tools of configured MCP servers. A call that fails (bad arguments, a tool error, a timeout) becomes an error
 * result for the model, never a failed request.
 */
@Injectable()
export class FunctionRegistry {
  private readonly logger = new Logger(FunctionRegistry.name);
  private readonly builtins = new Map(BUILTIN_FUNCTIONS.map((f) => [f.name, f]));
  private readonly listed: ServerFunction[] = BUILTIN_FUNCTIONS.map((f) => ({
    name: f.name,
    description: f.description,
    parameters: jsonSchemaOf(f),
    source: 'builtin',
  }));
  private readonly providers: FunctionProvider[] = [];

  constructor(@Inject(gatewayConfig.KEY) private readonly cfg: ConfigType<typeof gatewayConfig>) {}

  addProvider(provider: FunctionProvider): void {
    this.providers.push(provider);
  }

  list(): ServerFunction[] {
    const seen = new Set<string>();
    return [...this.listed, ...this.providers.flatMap((p) => p.list())].filter((f) => {
      if (seen.has(f.name)) return false; // a built-in wins over an MCP tool of the same name
      seen.add(f.name);
      return true;
    });
  }

  get(name: string): ServerFunction | undefined {
    return this.list().find((f) => f.name === name);
  }

  async execute(name: string, argsJson: string, signal: AbortSignal): Promise<FunctionOutcome> {
    const timeout = AbortSignal.any([signal, AbortSignal.timeout(this.cfg.functionTimeoutMs)]);
    try {
      let args: unknown;
      try {
        args = JSON.parse(argsJson || '{}');
      } catch {
        throw new ToolError('The arguments are not valid JSON.');
      }
      const builtin = this.builtins.get(name);
      let value: unknown;
      if (builtin) {
        const parsed = builtin.schema.safeParse(args);
        if (!parsed.success) throw new ToolError(`Invalid arguments: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
        value = await builtin.run(parsed.data, {
          signal: timeout,
          weatherProviderUrl: this.cfg.weatherProviderUrl,
          now: () => new Date(),
        });
      } else {
        const provider = this.providers.find((p) => p.list().some((f) => f.name === name));
        if (!provider) throw new ToolError(`No server function is called '${name}'.`);
        value = await provider.call(name, (args ?? {}) as Record<string, unknown>, timeout);
      }
      return { output: typeof value === 'string' ? value : JSON.stringify(value), error: false };
    } catch (err) {
      if (!(err instanceof ToolError)) {
        this.logger.warn(`function ${name} failed: ${(err as Error).message}`);
      }
      const message = timeout.aborted && !signal.aborted ? 'The function timed out.' : (err as Error).message;
      return { output: JSON.stringify({ error: message }), error: true };
    }
  }
}
