import { PiiRedactor, StreamRedactor } from './pii-redactor';

describe('PiiRedactor', () => {
  const pii = new PiiRedactor({ phoneRegion: 'US', patterns: { employee_id: 'EMP-\\d{6}' } });

  it('redacts e-mail, phone, card, IBAN, IP addresses and configured patterns, counting each type', () => {
    const text =
      'Mail ada@example.co.uk or call +44 20 7946 0958 / (415) 555-2671. Card 4111 1111 1111 1111, ' +
      'IBAN DE89 3704 0044 0532 0130 00, host 192.168.10.7 and 2001:db8::8a2e:370:7334, badge EMP-123456.';
    const { text: out, counts } = pii.redact(text);
    expect(out).toBe(
      'Mail [EMAIL] or call [PHONE] / [PHONE]. Card [PAYMENT_CARD], IBAN [IBAN], host [IP_ADDRESS] and ' +
        '[IP_ADDRESS], badge [EMPLOYEE_ID].',
    );
    expect(counts).toEqual({ email: 1, phone: 2, payment_card: 1, iban: 1, ip_address: 2, employee_id: 1 });
  });

  it('leaves look-alikes alone: failed checksums, times, versions, plain numbers', () => {
    const text =
      'Card 4111 1111 1111 1112, IBAN DE00 3704 0044 0532 0130 00, at 12:30:45, v1.2.3, 999.1.1.1, order 12345.';
    expect(pii.redact(text)).toEqual({ text, counts: {} });
  });

  it('finds national phone numbers only with a region', () => {
    expect(new PiiRedactor().detect('call (415) 555-2671')).toEqual({});
    expect(pii.detect('call (415) 555-2671')).toEqual({ phone: 1 });
  });

  it('redacts a streamed text whose findings are split across pieces, holding back only a window', () => {
    const text = `${'Once upon a time there was a dragon. '.repeat(6)}Write to ada@example.com or +44 20 7946 0958 now.`;
    for (const size of [1, 3, 7, 40]) {
      const stream = new StreamRedactor(pii, 32);
      const out: string[] = [];
      for (let i = 0; i < text.length; i += size) out.push(stream.push(text.slice(i, i + size)));
      out.push(stream.flush());
      expect(out.join('')).toBe(pii.redact(text).text);
      expect(out.some((o) => o.includes('ada@') || o.includes('7946'))).toBe(false);
      // Text goes out before the end: only the window is held.
      expect(out.slice(0, -1).join('').length).toBeGreaterThan(text.length - 100);
      expect(stream.counts).toEqual({ email: 1, phone: 1 });
    }
  });
});
