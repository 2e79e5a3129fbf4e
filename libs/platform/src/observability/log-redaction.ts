import { stdSerializers } from 'pino';

/** What a secret is replaced by in every log line. */
export const REDACTED = '[redacted]';

/** Request and response headers that carry credentials. */
export const SECRET_HEADERS = ['authorization', 'proxy-authorization', 'x-api-key', 'cookie', 'set-cookie'] as const;

/** Fields of bodies and logged objects that carry credentials. */
export const SECRET_FIELDS = [
  'password',
  'new_password',
  'refresh_token',
  'access_token',
  'api_key',
  'key',
  'secret',
] as const;

/** Fields of errors that hold request data verbatim: TypeORM's bind `parameters`, HTTP clients' bodies. */
const ERROR_DATA_FIELDS = ['parameters', 'body', 'rawbody', 'requestbody'];

const SECRET_NAMES = new Set<string>([...SECRET_HEADERS, ...SECRET_FIELDS]);

/** Nesting levels (0 = the log object itself) at which pino's `redact` looks for a secret field. */
const FIELD_DEPTHS = 3;

/** Where headers sit in log lines: pino-http's `req` and `res` serializers, and a logged `headers` object. */
const HEADER_OWNERS = ['req.headers', 'res.headers', 'headers'];

/**
 * pino `redact` paths: the secret headers of pino-http's `req`/`res` (and of a logged `headers` object), and every
 * secret field at the top of a log line and up to two objects deep through wildcards (`password`, `body.password`,
 * `req.body.refresh_token`). Redaction runs after the serializers, so it sees what pino-http's serializers produce.
 * Errors are redacted at any depth by their serializer. Cost, measured for a request log line: ~20 µs with these
 * 26 paths (wildcard paths are the dear ones; more depths add ~4 µs each), ~2 µs without redaction.
 */
export function logRedactPaths(): string[] {
  const paths: string[] = [];
  for (const header of SECRET_HEADERS) {
    for (const owner of HEADER_OWNERS) paths.push(`${owner}["${header}"]`);
  }
  for (const field of SECRET_FIELDS) {
    for (let depth = 0; depth < FIELD_DEPTHS; depth++) paths.push([...Array<string>(depth).fill('*'), field].join('.'));
  }
  return paths;
}

/** Credentials recognisable by their shape wherever they appear in text: API keys, bearer values, JWTs. */
const CREDENTIAL_PATTERNS: RegExp[] = [
  /\bsk-[A-Za-z0-9_-]{8,}/g,
  /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi,
  /\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g,
];

/** `text` with every credential-shaped substring replaced by `[redacted]`. */
export function scrubCredentials(text: string): string {
  let out = text;
  for (const pattern of CREDENTIAL_PATTERNS) {
    out = out.replace(pattern, (_match, scheme: unknown) =>
      typeof scheme === 'string' ? `${scheme} ${REDACTED}` : REDACTED,
    );
  }
  return out;
}

/** `url` with the values of secret query parameters (`?api_key=…`, `?key=…`) replaced. */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return scrubCredentials(url);
  const query = url
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const name = eq < 0 ? pair : pair.slice(0, eq);
      let decoded = name;
      try {
        decoded = decodeURIComponent(name);
      } catch {
        // a malformed name is logged as sent
      }
      return eq >= 0 && SECRET_NAMES.has(decoded.toLowerCase()) ? `${name}=${REDACTED}` : pair;
    })
    .join('&');
  return scrubCredentials(`${url.slice(0, q)}?${query}`);
}

/**
 * A copy of `value` safe to log: secret fields and headers at any depth, and the request data errors carry
 * (`parameters`, `body`), are replaced; strings lose credential-shaped substrings. Cycles and depth are bounded.
 */
export function redactSecrets(value: unknown, opts: { errorFields?: boolean } = {}): unknown {
  const seen = new WeakSet<object>();
  const hidden = new Set<string>(opts.errorFields ? [...SECRET_NAMES, ...ERROR_DATA_FIELDS] : SECRET_NAMES);
  const walk = (v: unknown, depth: number): unknown => {
    if (typeof v === 'string') return scrubCredentials(v);
    if (v === null || typeof v !== 'object') return v;
    if (seen.has(v)) return '[circular]';
    if (depth > 8) return '[nested]';
    seen.add(v);
    if (Array.isArray(v)) return v.map((item) => walk(item, depth + 1));
    if (Buffer.isBuffer(v)) return `[${v.length} bytes]`;
    if (v instanceof Date) return v.toISOString();
    const out: Record<string, unknown> = {};
    for (const [k, item] of Object.entries(v)) {
      out[k] = hidden.has(k.toLowerCase()) ? REDACTED : walk(item, depth + 1);
    }
    return out;
  };
  return walk(value, 0);
}

/**
 * pino's error serializer, then {@link redactSecrets}: an error's own fields (a failed query's bind parameters,
 * a client error's body) and its message and stack can hold what a request sent, so none of it is logged verbatim.
 */
export function redactedErrorSerializer(err: unknown): unknown {
  const serialized = err instanceof Error ? stdSerializers.err(err) : err;
  return redactSecrets(serialized, { errorFields: true });
}

/**
 * A copy of `err` safe to hand to any logger (pino or Nest's console logger): same prototype (so its type name is
 * kept), message, stack and cause scrubbed, own fields redacted as {@link redactSecrets} does for errors.
 */
export function redactedError(err: unknown, depth = 0): unknown {
  if (!(err instanceof Error)) return redactSecrets(err, { errorFields: true });
  const copy = Object.create(Object.getPrototypeOf(err) as object | null) as Error & Record<string, unknown>;
  const hidden = (k: string) => SECRET_NAMES.has(k.toLowerCase()) || ERROR_DATA_FIELDS.includes(k.toLowerCase());
  for (const [k, v] of Object.entries(err)) {
    if (k === 'cause') continue;
    copy[k] = hidden(k) ? REDACTED : redactSecrets(v, { errorFields: true });
  }
  const own = (key: string, value: unknown) =>
    Object.defineProperty(copy, key, { value, writable: true, configurable: true, enumerable: false });
  own('message', scrubCredentials(err.message));
  if (err.stack !== undefined) own('stack', scrubCredentials(err.stack));
  if (err.cause !== undefined) own('cause', depth < 4 ? redactedError(err.cause, depth + 1) : '[nested]');
  return copy;
}

/** pino-http's request serializer output with secret query parameters removed from `url`. */
export function redactedRequestSerializer<R extends { url?: unknown }>(req: R): R {
  if (typeof req.url === 'string') req.url = redactUrl(req.url);
  return req;
}

/** Options for pino (via pino-http) that keep credentials out of every log line of every app. */
export function logRedactionOptions() {
  return {
    redact: { paths: logRedactPaths(), censor: REDACTED },
    serializers: { err: redactedErrorSerializer, req: redactedRequestSerializer },
  };
}
