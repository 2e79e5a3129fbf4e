import type { FastifyReply } from 'fastify';
import { PassThrough } from 'node:stream';

/** A Server-Sent Events body in OpenAI's framing: `data: <json>\n\n` per chunk, `data: [DONE]` at the end. */
export class SseStream {
  private readonly body = new PassThrough();

  constructor(reply: FastifyReply) {
    void reply
      .status(200)
      .header('content-type', 'text/event-stream; charset=utf-8')
      .header('cache-control', 'no-cache')
      .header('connection', 'keep-alive')
      .header('x-accel-buffering', 'no')
      .send(this.body);
  }

  /**
   * One event in a single write. `event` adds the SSE `event:` line (the Responses API names each event by its
   * type, as OpenAI does; Chat Completions sends bare `data:` lines).
   */
  data(payload: unknown, event?: string): void {
    if (this.body.writableEnded) return;
    this.body.write(`${event ? `event: ${event}\n` : ''}data: ${JSON.stringify(payload)}\n\n`);
  }

  /** An SSE comment line (`: text`): every SSE client skips it; people and proxies see the stream is alive. */
  comment(text: string): void {
    if (!this.body.writableEnded) this.body.write(`: ${text.replace(/[\r\n]+/g, ' ')}\n\n`);
  }

  done(marker = true): void {
    if (this.body.writableEnded) return;
    this.body.end(marker ? 'data: [DONE]\n\n' : undefined);
  }

  /** Ends the stream with an error object, as OpenAI does; the SDKs raise it as an APIError. */
  fail(error: { message: string; type: string; code: string | null; param: string | null }): void {
    if (this.body.writableEnded) return;
    this.body.end(`data: ${JSON.stringify({ error })}\n\n`);
  }
}
