// End-to-end: errors raised by the HTTP stack itself (Node's parser, Fastify's router, Nest's not-found handler)
// answered by a real gateway process in OpenAI's error shape. node:http sends paths exactly as written (fetch
// would normalise `%` and dot segments).
import { request } from 'node:http';
import { RunningPlatform, startPlatform } from '@llmp/testing';

jest.setTimeout(120_000);

let platform: RunningPlatform;

beforeAll(async () => {
  platform = await startPlatform({ worker: false });
});

afterAll(async () => {
  await platform?.stop();
});

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One request with `path` on the wire verbatim; resolves with whatever the server answered before closing. */
function rawRequest(path: string, headers: Record<string, string> = {}): Promise<RawResponse> {
  const { port } = platform.gateway;
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET', headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** The body parsed and checked to be exactly OpenAI's error shape. */
function openAiError(res: RawResponse) {
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  const body = JSON.parse(res.body) as { error: Record<string, unknown> };
  expect(Object.keys(body)).toEqual(['error']);
  expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'param', 'type']);
  expect(typeof body.error.message).toBe('string');
  expect(body.error.param).toBeNull();
  return body.error;
}

const auth = () => ({ authorization: `Bearer ${platform.apiKey}` });

describe('framework errors in OpenAI shape', () => {
  it('answers an unknown route with 404 not_found, with or without a credential', async () => {
    for (const headers of [auth(), {}]) {
      const res = await rawRequest('/v1/no-such-route', headers);
      expect(res.status).toBe(404);
      expect(openAiError(res)).toMatchObject({ code: 'not_found', type: 'invalid_request_error' });
    }
    const outside = await rawRequest('/no-such-page');
    expect(outside.status).toBe(404);
    expect(openAiError(outside)).toMatchObject({ code: 'not_found' });
  });

  it('answers a malformed percent-encoding in the path with 400 invalid_request', async () => {
    for (const path of ['/v1/models/%', '/v1/models/%zz', '/v1/conversations/%E0%A4%A']) {
      const res = await rawRequest(path, { ...auth(), 'x-request-id': 'bad-url-check' });
      expect(res.status).toBe(400);
      expect(openAiError(res)).toMatchObject({ code: 'invalid_request', type: 'invalid_request_error' });
      expect(res.headers['x-request-id']).toBe('bad-url-check');
    }
  });

  it('answers a 20,000-character path or query with 414 uri_too_long', async () => {
    const long = 'a'.repeat(20_000);
    for (const path of [`/v1/models/${long}`, `/${long}`, `/v1/models?after=${long}`]) {
      const res = await rawRequest(path, auth());
      expect(res.status).toBe(414);
      expect(openAiError(res)).toMatchObject({ code: 'uri_too_long', type: 'invalid_request_error' });
    }
  });

  it('answers a path segment over the router limit with 414 uri_too_long', async () => {
    const res = await rawRequest(`/v1/models/${'m'.repeat(500)}`, auth());
    expect(res.status).toBe(414);
    expect(openAiError(res)).toMatchObject({ code: 'uri_too_long' });
  });

  it('answers headers over the HTTP parser limit with 431 in OpenAI shape', async () => {
    const res = await rawRequest('/v1/models', { ...auth(), 'x-padding': 'p'.repeat(100_000) });
    expect(res.status).toBe(431);
    expect(openAiError(res)).toMatchObject({ code: 'request_header_fields_too_large' });
  });

  it('still serves ordinary requests on the same gateway', async () => {
    const res = await rawRequest('/v1/models/stories260k', auth());
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ id: 'stories260k', object: 'model' });
  });
});
