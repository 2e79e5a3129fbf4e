import { isIPv4, isIPv6 } from 'node:net';

/**
 * The address login failures are counted under: an IPv4 address as is (IPv4-mapped IPv6 too), an IPv6 address by
 * its /64 (one host usually holds a whole /64, so counting single addresses would give it billions of budgets).
 * Anything else the caller sent is kept, trimmed and lower-cased.
 */
export function throttleAddress(ip: string): string {
  const addr = ip
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, '')
    .replace(/%.*$/, '');
  if (!isIPv6(addr)) return addr;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(addr);
  if (mapped && isIPv4(mapped[1]!)) return mapped[1]!;
  return `${expandIpv6(addr).slice(0, 4).join(':')}::/64`;
}

/** The 8 groups of a valid IPv6 address, without leading zeros. */
function expandIpv6(addr: string): string[] {
  let text = addr;
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const fill = tail === undefined ? [] : Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...fill, ...right].map((g) => parseInt(g, 16).toString(16));
}
