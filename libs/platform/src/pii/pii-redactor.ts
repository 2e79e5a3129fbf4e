import { electronicFormatIBAN, isValidIBAN } from 'ibantools';
import { CountryCode, findPhoneNumbersInText } from 'libphonenumber-js';
import { isIPv4, isIPv6 } from 'node:net';

/** The kinds of personal data found; configured patterns add their own names. */
export type PiiType = 'email' | 'phone' | 'payment_card' | 'iban' | 'ip_address' | (string & {});

/** What was found, by type: counts only, never the values (they go into dry runs and logs). */
export type PiiCounts = Record<string, number>;

export interface PiiOptions {
  /** Region for phone numbers written without a country code (ISO 3166 alpha-2, e.g. `US`, `DE`). */
  phoneRegion?: string;
  /** Extra patterns by name (`{"employee_id": "EMP-\\d{6}"}`), matched globally. */
  patterns?: Record<string, string>;
}

export interface Span {
  start: number;
  end: number;
  type: PiiType;
}

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g;
/** 13 to 19 digits, optionally grouped by spaces or dashes; kept only when the Luhn check passes. */
const CARD = /\b\d(?:[ -]?\d){12,18}\b/g;
/** A country code, check digits and 11-30 more letters or digits, optionally in groups of four. */
const IBAN = /\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b/g;
const IPV4 = /\b(?:\d{1,3}\.){3}\d{1,3}\b/g;
/** Candidates only: `node:net` decides what is an IPv6 address (times such as 12:30:45 are not). */
const IPV6 = /(?<![\w:])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?![\w:])/g;

/**
 * In-process detection and redaction of personal data in text: e-mail addresses, phone numbers
 * (libphonenumber-js), payment card numbers (Luhn-checked), IBANs (ibantools, mod-97-checked), IPv4 and IPv6
 * addresses, and configured patterns. Each finding becomes `[TYPE]` (`[EMAIL]`, `[PHONE]` …). The matching rules
 * are ours (which candidates count, in which order, how they are replaced); the checks are the libraries'.
 */
export class PiiRedactor {
  private readonly region: CountryCode | undefined;
  private readonly patterns: [string, RegExp][];

  constructor(opts: PiiOptions = {}) {
    this.region = opts.phoneRegion ? (opts.phoneRegion.toUpperCase() as CountryCode) : undefined;
    this.patterns = Object.entries(opts.patterns ?? {}).map(([name, src]) => [name, new RegExp(src, 'g')]);
  }

  /** The text with every finding replaced, and the counts by type. */
  redact(text: string): { text: string; counts: PiiCounts } {
    const spans = this.spans(text);
    const counts: PiiCounts = {};
    let out = '';
    let at = 0;
    for (const s of spans) {
      out += text.slice(at, s.start) + `[${s.type.toUpperCase()}]`;
      at = s.end;
      counts[s.type] = (counts[s.type] ?? 0) + 1;
    }
    return { text: out + text.slice(at), counts };
  }

  /** Counts by type, without changing anything. */
  detect(text: string): PiiCounts {
    return this.redact(text).counts;
  }

  /** Non-overlapping findings in text order; where two overlap, the one found first (the stricter check) wins. */
  spans(text: string): Span[] {
    const found: Span[] = [];
    const add = (start: number, end: number, type: PiiType) => {
      if (found.some((f) => start < f.end && f.start < end)) return;
      found.push({ start, end, type });
    };
    for (const m of text.matchAll(EMAIL)) add(m.index, m.index + m[0].length, 'email');
    for (const m of text.matchAll(IBAN)) {
      if (isValidIBAN(electronicFormatIBAN(m[0]) ?? '')) add(m.index, m.index + m[0].length, 'iban');
    }
    for (const m of text.matchAll(CARD))
      if (luhn(m[0].replace(/\D/g, ''))) add(m.index, m.index + m[0].length, 'payment_card');
    for (const m of text.matchAll(IPV4)) if (isIPv4(m[0])) add(m.index, m.index + m[0].length, 'ip_address');
    for (const m of text.matchAll(IPV6)) if (isIPv6(m[0])) add(m.index, m.index + m[0].length, 'ip_address');
    for (const p of findPhoneNumbersInText(text, this.region ? { defaultCountry: this.region } : undefined)) {
      add(p.startsAt, p.endsAt, 'phone');
    }
    for (const [name, re] of this.patterns) {
      for (const m of text.matchAll(re)) if (m[0]) add(m.index, m.index + m[0].length, name);
    }
    return found.sort((a, b) => a.start - b.start);
  }
}

/** The Luhn checksum of a card number (digits only). */
function luhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return digits.length >= 13 && sum % 10 === 0;
}

/** Adds counts into a running total. */
export function addCounts(into: PiiCounts, more: PiiCounts): PiiCounts {
  for (const [k, v] of Object.entries(more)) into[k] = (into[k] ?? 0) + v;
  return into;
}

/**
 * Redaction of a text that arrives in pieces (a streamed answer): a finding may be split across pieces, so the
 * last `window` characters are held back, and text is let out only up to a whitespace that no finding (in the
 * text held so far) spans. `flush()` lets out the rest at the end. Findings longer than the window can escape
 * whole-text detection only if the stream pauses inside them for longer than the window, which the cut rule
 * prevents for every finding that ends within it.
 */
export class StreamRedactor {
  private held = '';
  readonly counts: PiiCounts = {};

  constructor(
    private readonly pii: PiiRedactor,
    private readonly window = 64,
  ) {}

  /** The text that may go out now (possibly empty). */
  push(text: string): string {
    this.held += text;
    const cut = this.safeCut();
    if (cut <= 0) return '';
    const head = this.held.slice(0, cut);
    this.held = this.held.slice(cut);
    return this.clean(head);
  }

  flush(): string {
    const rest = this.clean(this.held);
    this.held = '';
    return rest;
  }

  private safeCut(): number {
    const limit = this.held.length - this.window;
    if (limit <= 0) return 0;
    const spans = this.pii.spans(this.held);
    for (let i = limit; i > 0; i--) {
      if (/\s/.test(this.held[i - 1]!) && !spans.some((s) => s.start < i && i < s.end)) return i;
    }
    return 0;
  }

  private clean(text: string): string {
    const r = this.pii.redact(text);
    addCounts(this.counts, r.counts);
    return r.text;
  }
}
