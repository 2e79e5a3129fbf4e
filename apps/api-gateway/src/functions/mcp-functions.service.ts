import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport, getDefaultEnvironment } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { SchemaValidator, UnsupportedSchemaError, toGrammarSchema } from '@llmp/platform';
import { FunctionNameSchema } from '@llmp/contracts';
import { McpServerConfig, gatewayConfig } from '../config/gateway.config';
import { ToolError } from './builtin-function';
import { FunctionProvider, FunctionRegistry, ServerFunction } from './function-registry.service';

const validator = new SchemaValidator();

interface Connected {
  config: McpServerConfig;
  client: Client;
  tools: ServerFunction[];
}

/**
 * The tools of the configured MCP servers (`MCP_SERVERS`: stdio commands or streamable HTTP URLs), offered as
 * server functions. Each server is connected and its tools listed at startup; a server that cannot be reached is
 * logged and left out (the gateway still starts). A tool whose input schema the decoding grammar cannot express
 * is left out too, with the reason logged: its arguments could not be guaranteed valid.
 */
@Injectable()
export class McpFunctions implements FunctionProvider, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(McpFunctions.name);
  private connected: Connected[] = [];

  constructor(
    @Inject(gatewayConfig.KEY) private readonly cfg: ConfigType<typeof gatewayConfig>,
    private readonly registry: FunctionRegistry,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.registry.addProvider(this);
    const results = await Promise.allSettled(this.cfg.mcpServers.map((s) => this.connect(s)));
    results.forEach((r, i) => {
      const name = this.cfg.mcpServers[i]!.name;
      if (r.status === 'fulfilled') {
        this.connected.push(r.value);
        this.logger.log(`MCP server ${name}: ${r.value.tools.map((t) => t.name).join(', ') || 'no tools'}`);
      } else {
        this.logger.warn(`MCP server ${name} is unavailable: ${(r.reason as Error).message}`);
      }
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled(this.connected.map((c) => c.client.close()));
  }

  list(): ServerFunction[] {
    return this.connected.flatMap((c) => c.tools);
  }

  async call(name: string, args: Record<string, unknown>, signal: AbortSignal): Promise<unknown> {
    const server = this.connected.find((c) => c.tools.some((t) => t.name === name));
    if (!server) throw new ToolError(`No MCP tool is called '${name}'.`);
    const res = await server.client.callTool({ name, arguments: args }, undefined, { signal });
    const content = (res.content ?? []) as { type: string; text?: string }[];
    const text = content
      .filter((c) => c.type === 'text')
      .map((c) => c.text ?? '')
      .join('\n');
    if (res.isError) throw new ToolError(text || `The MCP tool '${name}' failed.`);
    return res.structuredContent ?? text;
  }

  private async connect(config: McpServerConfig): Promise<Connected> {
    const client = new Client({ name: 'llmp-gateway', version: '0.1.0' });
    const transport =
      'url' in config
        ? new StreamableHTTPClientTransport(new URL(config.url))
        : // The child gets the SDK's minimal environment (PATH, HOME…) plus what its configuration gives it, never
          // the gateway's own (its secrets).
          new StdioClientTransport({
            command: config.command,
            args: config.args,
            env: { ...getDefaultEnvironment(), ...config.env },
            stderr: 'inherit',
          });
    await client.connect(transport, { timeout: this.cfg.functionTimeoutMs });
    const { tools } = await client.listTools(undefined, { timeout: this.cfg.functionTimeoutMs });
    const usable: ServerFunction[] = [];
    for (const tool of tools) {
      const problem = this.unusable(tool.name, tool.inputSchema);
      if (problem) {
        this.logger.warn(`MCP server ${config.name}: tool ${tool.name} left out: ${problem}`);
        continue;
      }
      usable.push({
        name: tool.name,
        description: tool.description ?? '',
        parameters: tool.inputSchema as Record<string, unknown>,
        source: `mcp:${config.name}`,
      });
    }
    return { config, client, tools: usable };
  }

  private unusable(name: string, schema: unknown): string | null {
    if (!FunctionNameSchema.safeParse(name).success) return 'its name is not a valid function name';
    const invalid = validator.schemaError(schema);
    if (invalid) return `invalid input schema (${invalid})`;
    try {
      toGrammarSchema(schema);
      return null;
    } catch (err) {
      if (err instanceof UnsupportedSchemaError) return err.message;
      throw err;
    }
  }
}
