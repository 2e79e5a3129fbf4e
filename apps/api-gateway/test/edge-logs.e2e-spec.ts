// End-to-end: auth, chat-history and the gateway as real processes logging at info (every request logged); the
// credentials sent in requests must appear in no process's log, while the log lines of those requests do.
import OpenAI from 'openai';
import { RunningPlatform, registerUser, startPlatform } from '@llmp/testing';

jest.setTimeout(120_000);

let platform: RunningPlatform;

beforeAll(async () => {
  platform = await startPlatform({ worker: false, chatHistory: true, env: { LOG_LEVEL: 'info' } });
});

afterAll(async () => {
  await platform?.stop();
});

interface LogLine {
  msg?: string;
  service?: string;
  req?: { url?: string; method?: string; headers?: Record<string, unknown> };
  res?: { statusCode?: number };
}

/** Every JSON line the platform's processes logged so far. */
function logLines(): LogLine[] {
  return allLogs()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as LogLine);
}

function allLogs(): string {
  const apps = [platform.auth, platform.chatHistory, ...platform.gateways];
  return apps.map((a) => a?.log() ?? '').join('\n');
}

/**
 * Waits until the gateway has written the request line for `method url` (answered with `status`, when given):
 * pino-http writes it once the response has gone.
 */
async function requestLine(url: string, method: string, status?: number): Promise<LogLine> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const line = logLines().find(
      (l) =>
        l.service === 'api-gateway' &&
        l.msg === 'request completed' &&
        l.req?.url === url &&
        l.req.method === method &&
        (status === undefined || l.res?.statusCode === status),
    );
    if (line) return line;
    if (Date.now() > deadline) throw new Error(`no log line for ${method} ${url}:\n${platform.gateway.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('logs carry no credentials', () => {
  it('redacts API keys, tokens, cookies and passwords from every request and every process', async () => {
    const gw = platform.gateway.url;
    const password = 'Log-secret-Passw0rd-7f3a9c';
    const username = `logcheck${Date.now().toString(36)}`;
    await registerUser(gw, username, password);

    // An API key as Bearer (the OpenAI SDK), as X-API-Key, and beside it a cookie and a proxy credential.
    const client = new OpenAI({ baseURL: `${gw}/v1`, apiKey: platform.apiKey });
    await client.models.list();
    const cookie = 'session=cookie-secret-5b1d0e7a';
    const proxyAuth = 'Basic cHJveHktdXNlcjpwcm94eS1zZWNyZXQtOTE=';
    const viaHeader = await fetch(`${gw}/v1/models?limit=5`, {
      headers: { 'x-api-key': platform.apiKey, cookie, 'proxy-authorization': proxyAuth },
    });
    expect(viaHeader.status).toBe(200);
    // A key in the query string is not how the API takes keys, but a client may still send one.
    const viaQuery = await fetch(`${gw}/v1/models?api_key=${platform.apiKey}`, {
      headers: { authorization: `Bearer ${platform.apiKey}` },
    });
    expect(viaQuery.status).toBe(200);

    // Logging in with a password, then a JWT as Bearer, then a refresh.
    const login = await fetch(`${gw}/v1/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
    });
    expect(login.status).toBe(200);
    const tokens = (await login.json()) as { access_token: string; refresh_token: string };
    const me = await fetch(`${gw}/v1/auth/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(me.status).toBe(200);
    const refresh = await fetch(`${gw}/v1/auth/refresh`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refresh_token: tokens.refresh_token }),
    });
    expect(refresh.status).toBe(200);
    const refreshed = (await refresh.json()) as { access_token: string; refresh_token: string };
    // A failed login with the password in an OAuth2 form body.
    const badLogin = await fetch(`${gw}/v1/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'password', username, password: `${password}-wrong` }).toString(),
    });
    expect(badLogin.status).toBe(401);

    // The lines of those requests exist, with the credential headers replaced.
    const sdkLine = await requestLine('/v1/models', 'GET', 200);
    expect(sdkLine.req?.headers?.authorization).toBe('[redacted]');
    const headerLine = await requestLine('/v1/models?limit=5', 'GET');
    expect(headerLine.req?.headers).toMatchObject({
      'x-api-key': '[redacted]',
      cookie: '[redacted]',
      'proxy-authorization': '[redacted]',
    });
    const queryLine = await requestLine('/v1/models?api_key=[redacted]', 'GET');
    expect(queryLine.req?.headers?.authorization).toBe('[redacted]');
    expect((await requestLine('/v1/auth/me', 'GET')).req?.headers?.authorization).toBe('[redacted]');
    await requestLine('/v1/auth/token', 'POST', 200);
    await requestLine('/v1/auth/token', 'POST', 401);
    await requestLine('/v1/auth/refresh', 'POST', 200);

    // No process logged any of the secrets, in any form.
    const logs = allLogs();
    const secrets = {
      apiKey: platform.apiKey,
      password,
      accessToken: tokens.access_token,
      refreshToken: tokens.refresh_token,
      newAccessToken: refreshed.access_token,
      newRefreshToken: refreshed.refresh_token,
      adminToken: platform.adminToken,
      cookie: 'cookie-secret-5b1d0e7a',
      proxyAuth: 'cHJveHktdXNlcjpwcm94eS1zZWNyZXQtOTE',
    };
    const leaked = Object.entries(secrets).filter(([, secret]) => logs.includes(secret));
    expect(leaked.map(([name]) => name)).toEqual([]);
  });
});
