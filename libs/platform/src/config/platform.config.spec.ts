import { readPlatformEnv } from './platform.config';

describe('TRUSTED_PROXIES', () => {
  it('trusts no proxy by default', () => {
    expect(readPlatformEnv({}).trustedProxies).toEqual([]);
    expect(readPlatformEnv({ TRUSTED_PROXIES: ' ' }).trustedProxies).toEqual([]);
  });

  it('reads addresses, CIDR ranges and proxy-addr names, comma-separated', () => {
    expect(
      readPlatformEnv({ TRUSTED_PROXIES: '10.0.0.0/8, 127.0.0.1,fd00::/8 ,::1, loopback' }).trustedProxies,
    ).toEqual(['10.0.0.0/8', '127.0.0.1', 'fd00::/8', '::1', 'loopback']);
  });

  it.each(['10.0.0.0/33', '10.0.0/8', 'proxy.internal', '::1/129', '10.0.0.1/'])(
    'refuses %s, naming the variable',
    (entry) => {
      expect(() => readPlatformEnv({ TRUSTED_PROXIES: `127.0.0.1,${entry}` })).toThrow(
        `TRUSTED_PROXIES: '${entry}' is not an IP address or CIDR range`,
      );
    },
  );
});

describe('QUEUE_PREFIX', () => {
  it('takes a plain prefix or a Redis Cluster hash tag', () => {
    expect(readPlatformEnv({ QUEUE_PREFIX: 'llmp-a_1' }).queuePrefix).toBe('llmp-a_1');
    expect(readPlatformEnv({ QUEUE_PREFIX: '{llmp}' }).queuePrefix).toBe('{llmp}');
  });

  it.each(['{llmp', 'a:b', '{a}b', ''])('refuses %s, naming the variable', (prefix) => {
    expect(() => readPlatformEnv({ QUEUE_PREFIX: prefix })).toThrow('QUEUE_PREFIX');
  });
});
