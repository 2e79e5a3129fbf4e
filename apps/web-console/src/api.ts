import { createParser, type EventSourceMessage } from 'eventsource-parser';

/** An error answered by the platform, in OpenAI's shape (`{error: {message, type, param, code}}`). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code: string | null = null,
    readonly param: string | null = null,
  ) {
    super(message);
  }
}

interface Tokens {
  access_token: string;
  refresh_token: string;
  /** Epoch ms after which the access token is refreshed before use. */
  refreshAt: number;
}

/** The console's session lives in sessionStorage: it ends with the tab, and no other site can read it. */
const STORE = 'llmp.console.session';

export interface ListPage<T> {
  object: 'list';
  data: T[];
  has_more?: boolean;
  last_id?: string | null;
}

/**
 * The console's HTTP client for the platform's own public API (same origin): JSON in and out, the access token
 * refreshed before it expires (or once after a 401), errors surfaced as ApiError with the server's message.
 */
export class Api {
  private tokens: Tokens | null = null;
  private refreshing: Promise<boolean> | null = null;
  onSignedOut: () => void = () => undefined;

  constructor() {
    try {
      const saved = sessionStorage.getItem(STORE);
      this.tokens = saved ? (JSON.parse(saved) as Tokens) : null;
    } catch {
      this.tokens = null;
    }
  }

  get signedIn(): boolean {
    return this.tokens !== null;
  }

  async register(username: string, password: string, email?: string): Promise<void> {
    await this.json('POST', '/v1/auth/register', { username, password, ...(email ? { email } : {}) }, false);
  }

  async login(username: string, password: string): Promise<void> {
    const t = await this.json<{ access_token: string; refresh_token: string; expires_in: number }>(
      'POST',
      '/v1/auth/token',
      { username, password, grant_type: 'password' },
      false,
    );
    this.save(t);
  }

  async logout(): Promise<void> {
    const t = this.tokens;
    if (t) await this.json('POST', '/v1/auth/logout', { refresh_token: t.refresh_token }).catch(() => undefined);
    this.clear();
  }

  get<T>(path: string): Promise<T> {
    return this.json<T>('GET', path);
  }
  post<T>(path: string, body?: unknown): Promise<T> {
    return this.json<T>('POST', path, body ?? {});
  }
  patch<T>(path: string, body: unknown): Promise<T> {
    return this.json<T>('PATCH', path, body);
  }
  del<T>(path: string): Promise<T> {
    return this.json<T>('DELETE', path);
  }

  /** A text body (an export), with its suggested file name from Content-Disposition. */
  async text(path: string): Promise<{ text: string; filename: string | null; type: string }> {
    const res = await this.fetch('GET', path);
    const disposition = res.headers.get('content-disposition') ?? '';
    const filename = /filename="?([^";]+)"?/.exec(disposition)?.[1] ?? null;
    return { text: await res.text(), filename, type: res.headers.get('content-type') ?? 'text/plain' };
  }

  /**
   * Uploads a file (`POST /v1/files`, multipart) with upload progress. fetch() cannot report upload progress,
   * so this one request goes through XMLHttpRequest.
   */
  async upload<T>(path: string, form: FormData, onProgress: (fraction: number) => void): Promise<T> {
    await this.fresh();
    return new Promise<T>((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open('POST', path);
      if (this.tokens) xhr.setRequestHeader('authorization', `Bearer ${this.tokens.access_token}`);
      xhr.upload.onprogress = (e) => {
        if (e.lengthComputable) onProgress(e.loaded / e.total);
      };
      xhr.onerror = () => reject(new ApiError(0, 'The upload failed: the platform could not be reached.'));
      xhr.onload = () => {
        const body = parseJson(xhr.responseText);
        if (xhr.status >= 200 && xhr.status < 300) resolve(body as T);
        else reject(toApiError(xhr.status, body));
      };
      xhr.send(form);
    });
  }

  /**
   * A streamed request (`stream: true`): each SSE `data:` payload parsed as JSON goes to `onEvent` until
   * `[DONE]` or the end of the body. An `{error}` event mid-stream rejects with its message.
   */
  async stream(
    path: string,
    body: unknown,
    onEvent: (data: Record<string, unknown>, event: string | undefined) => void,
    signal?: AbortSignal,
  ): Promise<void> {
    const res = await this.fetch('POST', path, body, true, signal);
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let failure: ApiError | null = null;
    const parser = createParser({
      onEvent: (msg: EventSourceMessage) => {
        if (msg.data === '[DONE]') return;
        const data = parseJson(msg.data) as Record<string, unknown> | null;
        if (!data) return;
        const error = data.error as { message?: string; code?: string } | undefined;
        if (error && typeof error === 'object') {
          failure = new ApiError(res.status, error.message ?? 'The stream failed', error.code ?? null);
          return;
        }
        onEvent(data, msg.event);
      },
    });
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      parser.feed(value);
    }
    if (failure) throw failure;
  }

  private async json<T>(method: string, path: string, body?: unknown, auth = true): Promise<T> {
    const res = await this.fetch(method, path, body, auth);
    const text = await res.text();
    return (text ? parseJson(text) : null) as T;
  }

  private async fetch(
    method: string,
    path: string,
    body?: unknown,
    auth = true,
    signal?: AbortSignal,
  ): Promise<Response> {
    if (auth) await this.fresh();
    const send = () =>
      fetch(path, {
        method,
        signal,
        headers: {
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...(auth && this.tokens ? { authorization: `Bearer ${this.tokens.access_token}` } : {}),
        },
        body: body !== undefined ? JSON.stringify(body) : undefined,
      });
    let res = await send().catch(() => {
      throw new ApiError(0, 'The platform could not be reached.');
    });
    if (res.status === 401 && auth && this.tokens && (await this.refresh())) res = await send();
    if (res.status === 401 && auth) {
      this.clear();
      this.onSignedOut();
    }
    if (!res.ok) throw toApiError(res.status, parseJson(await res.text()));
    return res;
  }

  /** Refreshes the access token shortly before it expires. */
  private async fresh(): Promise<void> {
    if (this.tokens && Date.now() >= this.tokens.refreshAt) await this.refresh();
  }

  private refresh(): Promise<boolean> {
    this.refreshing ??= (async () => {
      const t = this.tokens;
      if (!t) return false;
      const res = await fetch('/v1/auth/refresh', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ refresh_token: t.refresh_token }),
      }).catch(() => null);
      if (!res?.ok) return false;
      this.save(await res.json());
      return true;
    })().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  private save(t: { access_token: string; refresh_token: string; expires_in: number }): void {
    // Refreshed at 80% of its life, so a request never leaves with a token about to expire.
    this.tokens = {
      access_token: t.access_token,
      refresh_token: t.refresh_token,
      refreshAt: Date.now() + t.expires_in * 800,
    };
    sessionStorage.setItem(STORE, JSON.stringify(this.tokens));
  }

  private clear(): void {
    this.tokens = null;
    sessionStorage.removeItem(STORE);
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function toApiError(status: number, body: unknown): ApiError {
  const e = (body as { error?: { message?: string; code?: string; param?: string } } | null)?.error;
  return new ApiError(status, e?.message ?? `The request failed (HTTP ${status}).`, e?.code ?? null, e?.param ?? null);
}

export const api = new Api();
