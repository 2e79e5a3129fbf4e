import pino from 'pino';
import { Writable } from 'node:stream';
import { inspect } from 'node:util';
import { logRedactionOptions, redactSecrets, redactUrl, redactedError, scrubCredentials } from './log-redaction';

/** A real pino logger with the platform's redaction, writing its JSON lines into `lines`. */
function capturingLogger() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  const { redact, serializers } = logRedactionOptions();
  const logger = pino({ redact, serializers }, stream);
  return { logger, text: () => lines.join('') };
}

/** The JSON line pino writes for `{ err }`. */
function capture(err: unknown): unknown {
  const { logger, text } = capturingLogger();
  logger.error({ err }, 'failed');
  return JSON.parse(text());
}

const API_KEY = 'sk-abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';
const JWT = 'eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ1c2VyIn0.c2lnbmF0dXJlLXZhbHVl';

describe('log redaction', () => {
  it('replaces credential headers of requests and responses', () => {
    const { logger, text } = capturingLogger();
    logger.info(
      {
        req: {
          method: 'GET',
          url: '/v1/models',
          headers: {
            authorization: `Bearer ${API_KEY}`,
            'x-api-key': 'key-in-header-0001',
            cookie: 'session=cookie-value-0001',
            'proxy-authorization': 'Basic cHJveHk6cGFzcw==',
            'user-agent': 'jest',
          },
        },
        res: { statusCode: 200, headers: { 'set-cookie': ['session=set-cookie-0001'] } },
      },
      'request completed',
    );
    const out = text();
    for (const secret of [API_KEY, 'key-in-header-0001', 'cookie-value-0001', 'cHJveHk6cGFzcw', 'set-cookie-0001']) {
      expect(out).not.toContain(secret);
    }
    expect(JSON.parse(out)).toMatchObject({
      req: { headers: { authorization: '[redacted]', 'x-api-key': '[redacted]', 'user-agent': 'jest' } },
      res: { statusCode: 200, headers: { 'set-cookie': '[redacted]' } },
    });
  });

  it('replaces secret fields of logged objects up to two objects deep', () => {
    const { logger, text } = capturingLogger();
    logger.info({
      password: 'pw-top-0001',
      body: { username: 'ada', password: 'pw-body-0001', new_password: 'pw-new-0001' },
      payload: { tokens: { refresh_token: 'rt-0001', access_token: 'at-0001' } },
      a: { b: { api_key: 'ak-0001', key: 'k-0001', secret: 's-0001' } },
    });
    const out = text();
    for (const secret of ['pw-top-0001', 'pw-body-0001', 'pw-new-0001', 'rt-0001', 'at-0001', 'ak-0001', 'k-0001']) {
      expect(out).not.toContain(secret);
    }
    expect(out).not.toContain('s-0001');
    expect(JSON.parse(out).body).toEqual({
      username: 'ada',
      password: '[redacted]',
      new_password: '[redacted]',
    });
  });

  it('logs an error without the request data it carries', () => {
    const { logger, text } = capturingLogger();
    // The shape of a TypeORM QueryFailedError: the bind parameters are the request's values.
    const err = Object.assign(new Error(`insert failed for token ${JWT} with Bearer ${API_KEY}`), {
      query: 'INSERT INTO auth.users (username, password_hash) VALUES ($1, $2)',
      parameters: ['ada', 'pw-param-0001'],
      config: { data: { password: 'pw-config-0001' }, headers: { authorization: `Bearer ${API_KEY}` } },
      body: '{"password":"pw-raw-body-0001"}',
    });
    logger.error({ err, errorId: 'e1' }, 'Unhandled error e1');
    const out = text();
    for (const secret of [JWT, API_KEY, 'pw-param-0001', 'pw-config-0001', 'pw-raw-body-0001']) {
      expect(out).not.toContain(secret);
    }
    const line = JSON.parse(out);
    expect(line.err).toMatchObject({
      type: 'Error',
      parameters: '[redacted]',
      query: expect.stringContaining('INSERT'),
    });
    expect(line.err.message).toBe('insert failed for token [redacted] with Bearer [redacted]');
    expect(line.err.stack).toContain('log-redaction.spec');
  });

  it('copies an error for any logger: type kept, request data and credentials gone', () => {
    class QueryFailedError extends Error {
      constructor(
        readonly query: string,
        readonly parameters: unknown[],
      ) {
        super(`duplicate key for ${API_KEY}`);
      }
    }
    const cause = Object.assign(new Error('driver said no'), { detail: { password: 'pw-cause-0001' } });
    const err = Object.assign(new QueryFailedError('INSERT ...', ['pw-param-0002']), { cause });
    const copy = redactedError(err);
    expect(copy).toBeInstanceOf(QueryFailedError);
    // What Nest's console logger and pino would print of it.
    const printed = `${inspect(copy, { depth: 10 })}\n${JSON.stringify(copy)}\n${JSON.stringify(capture(copy))}`;
    for (const secret of [API_KEY, 'pw-param-0002', 'pw-cause-0001']) expect(printed).not.toContain(secret);
    expect(printed).toContain('driver said no');
    expect(printed).toContain('INSERT ...');
    expect(err.parameters).toEqual(['pw-param-0002']);
  });

  it('removes secret query parameters from a URL', () => {
    expect(redactUrl('/v1/models?api_key=abc&limit=2&key=zzz')).toBe(
      '/v1/models?api_key=[redacted]&limit=2&key=[redacted]',
    );
    expect(redactUrl('/v1/models')).toBe('/v1/models');
    expect(redactUrl(`/v1/x?token=${API_KEY}`)).toBe('/v1/x?token=[redacted]');
  });

  it('scrubs credential-shaped text and leaves the rest', () => {
    expect(scrubCredentials(`key ${API_KEY} and jwt ${JWT}.`)).toBe('key [redacted] and jwt [redacted].');
    expect(scrubCredentials('Authorization: bearer abc.def')).toBe('Authorization: bearer [redacted]');
    expect(scrubCredentials('model stories260k not found')).toBe('model stories260k not found');
  });

  it('copies objects with cycles without touching the original', () => {
    const original: Record<string, unknown> = { password: 'x', nested: { ok: 1 } };
    original.self = original;
    expect(redactSecrets(original)).toEqual({ password: '[redacted]', nested: { ok: 1 }, self: '[circular]' });
    expect(original.password).toBe('x');
  });
});
