// End-to-end: which client IP the per-IP anonymous limit sees. Auth and two gateways as real processes sharing one
// Redis: one trusts no proxy (the default), the other trusts 127.0.0.1 as its proxy (TRUSTED_PROXIES).
import { RunningApp, RunningPlatform, TEST_ADMIN, runToExit, startApp, startPlatform } from '@llmp/testing';

jest.setTimeout(180_000);

const ANON_IP_RPM = 10;

let platform: RunningPlatform;
let behindProxy: RunningApp;

beforeAll(async () => {
  platform = await startPlatform({ worker: false, gatewayEnv: { ANON_IP_RPM: String(ANON_IP_RPM) } });
  behindProxy = await startApp(
    'api-gateway',
    { ...platform.env, ANON_IP_RPM: String(ANON_IP_RPM), TRUSTED_PROXIES: '127.0.0.1' },
    { readyPath: '/health/ready' },
  );
});

afterAll(async () => {
  await behindProxy?.stop();
  await platform?.stop();
});

/** POST /v1/auth/token with the admin's credentials, claiming to come from `forwardedFor`. */
async function login(gatewayUrl: string, forwardedFor: string): Promise<{ status: number; code: string | null }> {
  const res = await fetch(`${gatewayUrl}/v1/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': forwardedFor },
    body: JSON.stringify(TEST_ADMIN),
  });
  const body = (await res.json()) as { error?: { code: string } };
  return { status: res.status, code: body.error?.code ?? null };
}

describe('client IP', () => {
  it('ignores X-Forwarded-For without a trusted proxy: rotating it does not escape the per-IP limit', async () => {
    const results = [];
    for (let i = 0; i < 70; i++) results.push(await login(platform.gateway.url, `203.0.113.${i + 1}`));
    const allowed = results.filter((r) => r.status === 200).length;
    const limited = results.filter((r) => r.status === 429);
    // The bucket holds ANON_IP_RPM (one already spent by the harness's login) and refills ANON_IP_RPM a minute.
    expect(allowed).toBeLessThanOrEqual(ANON_IP_RPM + 2);
    expect(limited.length).toBeGreaterThanOrEqual(70 - ANON_IP_RPM - 2);
    expect(limited.every((r) => r.code === 'rate_limit_exceeded')).toBe(true);
    expect(results.slice(-10).every((r) => r.status === 429)).toBe(true);
  });

  it('honours X-Forwarded-For from a trusted proxy: each forwarded address has its own limit', async () => {
    // 70 different clients behind the proxy, one login each: none is limited, though the proxy's own address
    // (127.0.0.1) spent its bucket in the test above.
    const distinct = [];
    for (let i = 0; i < 70; i++) distinct.push(await login(behindProxy.url, `198.51.100.${i + 1}`));
    expect(distinct.filter((r) => r.status !== 200)).toEqual([]);

    // One client behind the proxy, whatever it prepends itself: the proxy appends the address it saw, and that
    // rightmost untrusted address is the one limited.
    const repeated = [];
    for (let i = 0; i < ANON_IP_RPM + 5; i++) repeated.push(await login(behindProxy.url, `10.9.8.${i}, 192.0.2.77`));
    expect(repeated.slice(0, ANON_IP_RPM - 1).every((r) => r.status === 200)).toBe(true);
    expect(repeated.slice(-3).every((r) => r.status === 429 && r.code === 'rate_limit_exceeded')).toBe(true);
    // Another client is unaffected.
    expect((await login(behindProxy.url, '192.0.2.78')).status).toBe(200);
  });

  it('refuses to start with a TRUSTED_PROXIES entry that is not an address or range, naming the variable', async () => {
    const { code, output } = await runToExit('dist/apps/api-gateway/src/main.js', {
      ...platform.env,
      PORT: '0',
      TRUSTED_PROXIES: '10.0.0.0/8, 10.1.0.0/33',
    });
    expect(code).not.toBe(0);
    expect(output).toContain("TRUSTED_PROXIES: '10.1.0.0/33' is not an IP address or CIDR range");
  });
});
