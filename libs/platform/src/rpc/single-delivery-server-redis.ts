import { Logger } from '@nestjs/common';
import { RedisOptions, ServerRedis } from '@nestjs/microservices';
import type { Redis } from 'ioredis';
import { rpcTraceCarrier, traceRpcHandling } from './rpc-tracing';

/** How long a request's claim is kept; far longer than any caller waits for an answer. */
const CLAIM_TTL_S = 120;

/**
 * The Redis transport of @nestjs/microservices is pub/sub: every replica subscribed to a pattern receives every
 * request and, as shipped, every replica handles it. Measured with two replicas: a refresh rotated twice (the
 * second rotation saw the token used and revoked the family), a key was created twice.
 *
 * This server lets exactly one replica handle each request: before handling, a replica claims the request id
 * (generated per request by the ClientProxy) with `SET NX`; the others drop it. Callers are unchanged: any
 * ClientProxy on Transport.REDIS talks to it. If Redis refuses the claim, the request is handled anyway
 * (answering twice is better than not answering).
 *
 * While tracing is on, the handling is a SERVER span joined to the caller's trace (see rpc-tracing.ts).
 */
export class SingleDeliveryServerRedis extends ServerRedis {
  private readonly claimLogger = new Logger(SingleDeliveryServerRedis.name);

  constructor(
    options: Required<RedisOptions>['options'],
    private readonly claimPrefix: string,
    /** Prepended to every request channel (see rpc-channels.ts); replies go to `<channel>.reply`. */
    private readonly channelPrefix = '',
  ) {
    super(options);
  }

  override getRequestPattern(pattern: string): string {
    return `${this.channelPrefix}${pattern}`;
  }

  override getHandlerByPattern(channel: string) {
    return super.getHandlerByPattern(this.patternOf(channel));
  }

  override async handleMessage(channel: string, buffer: string, pub: Redis, pattern: string): Promise<unknown> {
    const packet = parsePacket(buffer);
    const id = requestIdOf(packet);
    if (id !== null) {
      try {
        const won = await pub.set(`${this.claimPrefix}:${id}`, '1', 'EX', CLAIM_TTL_S, 'NX');
        if (won === null) return undefined;
      } catch (err) {
        this.claimLogger.warn(`could not claim RPC request ${id}: ${(err as Error).message}`);
      }
    }
    return traceRpcHandling(this.patternOf(channel), rpcTraceCarrier(packet), () =>
      super.handleMessage(channel, buffer, pub, pattern),
    );
  }

  private patternOf(channel: string): string {
    return channel.startsWith(this.channelPrefix) ? channel.slice(this.channelPrefix.length) : channel;
  }
}

function parsePacket(buffer: string | Buffer): unknown {
  try {
    return JSON.parse(buffer.toString());
  } catch {
    return null;
  }
}

function requestIdOf(packet: unknown): string | null {
  const id = (packet as { id?: unknown } | null)?.id;
  return typeof id === 'string' && id.length > 0 && id.length <= 128 ? id : null;
}

/** The id of a request packet (`{pattern, data, id}`); null for events and unparseable messages. */
export function requestId(buffer: string | Buffer): string | null {
  return requestIdOf(parsePacket(buffer));
}
