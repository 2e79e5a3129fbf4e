import { throttleAddress } from './client-address';

describe('throttleAddress', () => {
  it('keeps IPv4 addresses, also IPv4-mapped ones', () => {
    expect(throttleAddress('203.0.113.7')).toBe('203.0.113.7');
    expect(throttleAddress('::ffff:203.0.113.7')).toBe('203.0.113.7');
  });

  it('counts an IPv6 address under its /64, however it is written', () => {
    const subnet = '2001:db8:0:1::/64';
    expect(throttleAddress('2001:db8:0:1::1')).toBe(subnet);
    expect(throttleAddress('2001:0DB8:0000:0001:ffff:1:2:3')).toBe(subnet);
    expect(throttleAddress('[2001:db8:0:1:a::b]')).toBe(subnet);
    expect(throttleAddress('2001:db8:0:1::1.2.3.4')).toBe(subnet);
    expect(throttleAddress('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(throttleAddress('2001:db8:0:2::1')).not.toBe(subnet);
  });

  it('keeps anything else as sent, lower-cased', () => {
    expect(throttleAddress(' Unknown ')).toBe('unknown');
    expect(throttleAddress('')).toBe('');
  });
});
