// End-to-end: the hardened edge (issue 14): key permissions that cannot be escalated, the bounded queue with
// fairness and queued SSE comments, and failed authentications per IP, against the edge suites' platform (see
// support/edge-fixtures.ts; the route table with narrow keys is edge-routes.e2e-spec.ts).
import OpenAI from 'openai';
import { createApiKey, registerUser } from '@llmp/testing';
import {
  AUTH_FAILURES_PER_IP_PER_MIN,
  Call,
  PASSWORD,
  api,
  edge,
  eventually,
  newUsername,
  useEdgePlatform,
} from './support/edge-fixtures';

jest.setTimeout(120_000);

useEdgePlatform();

// ---------------------------------------------------------------------------------------------------------------
// b, c. Key permissions cannot be escalated
// ---------------------------------------------------------------------------------------------------------------

describe('API key permissions', () => {
  it('a read_only key cannot ask for a completion (403 naming model.request) but can list models', async () => {
    const key = await createApiKey(edge.gw, edge.platform.adminToken, { name: 'ro', permissions: 'read_only' });
    const client = new OpenAI({ baseURL: `${edge.gw}/v1`, apiKey: key, maxRetries: 0 });
    expect((await client.models.list()).data.map((m) => m.id)).toContain('stories260k');
    const err = await client.chat.completions
      .create({ model: 'stories260k', messages: [{ role: 'user', content: 'Once upon a time' }], max_tokens: 4 })
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect(err).toMatchObject({ status: 403, code: 'permission_denied' });
    expect((err as Error).message).toContain('model.request');
  });

  it('a key restricted to one model creates keys for that model only, never wider', async () => {
    const expiresAt = Math.floor(Date.now() / 1000) + 3600;
    const narrow = await createApiKey(edge.gw, edge.platform.adminToken, {
      name: 'narrow',
      models: ['tinystories-656k'],
      rpm: 100,
      expires_at: expiresAt,
    });

    // Created with the narrow key, nothing asked: the new key inherits the model list, the limit and the expiry.
    const child = await api('/v1/api-keys', { method: 'POST', bearer: narrow, body: JSON.stringify({ name: 'c' }) });
    expect(child.status).toBe(201);
    expect(child.body).toMatchObject({ models: ['tinystories-656k'], rpm: 100, expires_at: expiresAt });
    const listed = await api('/v1/models', { bearer: child.body.key });
    expect(listed.status).toBe(200);
    expect(listed.body.data.map((m: { id: string }) => m.id)).toEqual(['tinystories-656k']);
    expect((await api('/v1/models/stories260k', { bearer: child.body.key })).status).toBe(404);

    const widen = async (body: Record<string, unknown>) =>
      api('/v1/api-keys', { method: 'POST', bearer: narrow, body: JSON.stringify({ name: 'wider', ...body }) });
    const attempts: [Record<string, unknown>, string][] = [
      [{ models: null }, 'models'],
      [{ models: ['stories260k'] }, 'models'],
      [{ models: ['tinystories-656k', 'stories260k'] }, 'models'],
      [{ rpm: 101 }, 'rpm'],
      [{ rpm: null }, 'rpm'],
      [{ expires_at: expiresAt + 60 }, 'expires_at'],
      [{ expires_at: null }, 'expires_at'],
    ];
    for (const [body, param] of attempts) {
      const res = await widen(body);
      expect({ body, status: res.status, code: res.body.error?.code, param: res.body.error?.param }).toEqual({
        body,
        status: 403,
        code: 'permission_denied',
        param,
      });
    }
    // Narrower is fine.
    const narrower = await widen({ rpm: 50, expires_at: expiresAt - 60 });
    expect(narrower.status).toBe(201);
    expect(narrower.body).toMatchObject({ models: ['tinystories-656k'], rpm: 50, expires_at: expiresAt - 60 });
  });

  it('a restricted key cannot create a key with scopes it lacks, nor an admin scope for a user', async () => {
    const creator = await createApiKey(edge.gw, edge.platform.adminToken, {
      name: 'keys-only',
      permissions: 'restricted',
      scopes: ['models.read', 'api_keys.write'],
    });
    const all = await api('/v1/api-keys', { method: 'POST', bearer: creator, body: JSON.stringify({ name: 'x' }) });
    expect(all.status).toBe(403);
    expect(all.body.error).toMatchObject({ code: 'permission_denied', param: 'permissions' });
    const extra = await api('/v1/api-keys', {
      method: 'POST',
      bearer: creator,
      body: JSON.stringify({ name: 'x', permissions: 'restricted', scopes: ['models.read', 'model.request'] }),
    });
    expect(extra.status).toBe(403);
    expect(extra.body.error).toMatchObject({ code: 'permission_denied', param: 'scopes' });
    expect(extra.body.error.message).toContain('model.request');
    const same = await api('/v1/api-keys', {
      method: 'POST',
      bearer: creator,
      body: JSON.stringify({ name: 'x', permissions: 'restricted', scopes: ['models.read'] }),
    });
    expect(same.status).toBe(201);
    expect(same.body.scopes).toEqual(['models.read']);

    const user = await registerUser(edge.gw, newUsername(), PASSWORD);
    const admin = await api('/v1/api-keys', {
      method: 'POST',
      bearer: user,
      body: JSON.stringify({ name: 'x', permissions: 'restricted', scopes: ['admin'] }),
    });
    expect(admin.status).toBe(403);
    expect(admin.body.error).toMatchObject({ code: 'permission_denied', param: 'scopes' });
  });
});

// ---------------------------------------------------------------------------------------------------------------
// e. Bounded queue, fairness, queued SSE comments
// ---------------------------------------------------------------------------------------------------------------

interface Pending {
  abort: AbortController;
  response: Promise<Response>;
}

function chat(bearer: string, stream: boolean): Pending {
  const abort = new AbortController();
  const response = fetch(`${edge.gw}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
    body: JSON.stringify({
      model: 'stories260k',
      messages: [{ role: 'user', content: 'Once upon a time' }],
      max_tokens: 8,
      stream,
    }),
    signal: abort.signal,
  });
  // Aborted at the end of the test on purpose: a rejection then is expected.
  response.catch(() => undefined);
  return { abort, response };
}

/** The response, or null while the gateway has not answered (a job admitted to a queue nobody consumes). */
async function within(p: Pending, ms: number): Promise<Response | null> {
  return Promise.race([p.response, new Promise<null>((r) => setTimeout(() => r(null), ms))]);
}

/** Reads an SSE body until `count` comment lines matching `pattern` have arrived; returns them. */
async function readComments(res: Response, pattern: RegExp, count: number, withinMs: number): Promise<string[]> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  const deadline = Date.now() + withinMs;
  let text = '';
  for (;;) {
    const lines = text.split('\n').filter((l) => pattern.test(l));
    if (lines.length >= count) {
      reader.releaseLock();
      return lines;
    }
    const remaining = deadline - Date.now();
    if (remaining <= 0) throw new Error(`only ${lines.length} of ${count} comments within ${withinMs} ms: ${text}`);
    const chunk = await Promise.race([reader.read(), new Promise<null>((r) => setTimeout(() => r(null), remaining))]);
    if (chunk === null) continue;
    if (chunk.done) throw new Error(`stream ended after: ${text}`);
    text += decoder.decode(chunk.value, { stream: true });
  }
}

const QUEUED = /^: queued position=\d+( eta_ms=\d+)?$/;

describe('bounded queue (slots 1, max_queue 2, max_user_share 0.5)', () => {
  const open: Pending[] = [];
  afterAll(() => open.forEach((p) => p.abort.abort()));

  it('admits up to the queue bound and the user share, refuses beyond with 429 server_overloaded and Retry-After', async () => {
    const alice = await createApiKey(edge.gw, await registerUser(edge.gw, newUsername(), PASSWORD), { name: 'a' });
    const bob = await createApiKey(edge.gw, await registerUser(edge.gw, newUsername(), PASSWORD), { name: 'b' });
    const track = (p: Pending) => (open.push(p), p);

    // Alice: two streams. One takes the (never served) slot and waits silently; the other is queued behind it and
    // starts its SSE body at once with its place in the queue.
    const a1 = track(chat(alice, true));
    const a2 = track(chat(alice, true));
    const first = await Promise.race([
      a1.response.then((res) => ({ res, serving: a2 })),
      a2.response.then((res) => ({ res, serving: a1 })),
    ]);
    const queuedStream = first.res;
    expect(queuedStream.status).toBe(200);
    expect(queuedStream.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(await within(first.serving, 300)).toBeNull();

    // A queued stream is told its place every second, in SSE comments every client ignores.
    const comments = await readComments(queuedStream, /^: queued/, 2, 5000);
    for (const line of comments) expect(line).toMatch(QUEUED);

    // Alice holds 2 of the 3 places (1 slot + 2 queued): her share. Her third request is refused at once.
    const aliceMore = await api('/v1/chat/completions', {
      method: 'POST',
      bearer: alice,
      body: JSON.stringify({ model: 'stories260k', messages: [{ role: 'user', content: 'hi' }], max_tokens: 4 }),
    });
    expect(aliceMore.status).toBe(429);
    expect(aliceMore.body.error).toMatchObject({ code: 'server_overloaded', type: 'server_error' });
    expect(aliceMore.body.error.message).toMatch(/most one user may hold/);
    const retryAfter = Number(aliceMore.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(aliceMore.headers.get('retry-after-ms')).toBe(String(retryAfter * 1000));

    // Bob still gets the last place: his stream is queued and says so.
    const b1 = track(chat(bob, true));
    const bobStream = await within(b1, 5000);
    expect(bobStream?.status).toBe(200);
    const [bobComment] = await readComments(bobStream!, /^: queued/, 1, 5000);
    expect(bobComment).toMatch(QUEUED);

    // Now the queue is full: Bob's next request (stream or not) is refused as overloaded.
    const bobMore = await api('/v1/chat/completions', {
      method: 'POST',
      bearer: bob,
      body: JSON.stringify({ model: 'stories260k', messages: [{ role: 'user', content: 'hi' }], stream: true }),
    });
    expect(bobMore.status).toBe(429);
    expect(bobMore.body.error.code).toBe('server_overloaded');
    expect(bobMore.body.error.message).toMatch(/queue is full/);
    expect(Number(bobMore.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);

    // Alice's clients go away: their places are released and a new request of hers is admitted again.
    a1.abort.abort();
    a2.abort.abort();
    const again = await eventually(
      async () => {
        const p = chat(alice, false);
        const res = await within(p, 500);
        if (res === null) return track(p); // admitted: it waits for a worker
        expect(res.status).toBe(429);
        return null;
      },
      5000,
      "Alice's places released",
    );
    expect(await within(again, 0)).toBeNull();

    // Everyone leaves: the whole queue is free again (three admitted: Bob's two, Alice's one).
    open.forEach((p) => p.abort.abort());
    const readmitted = await eventually(
      async () => {
        const batch = [chat(bob, true), chat(bob, true), chat(alice, true)];
        batch.forEach(track);
        const answers = await Promise.all(batch.map((p) => within(p, 500)));
        const refused = answers.filter((r) => r !== null && r.status === 429).length;
        if (refused === 0) return answers;
        batch.forEach((p) => p.abort.abort());
        return null;
      },
      5000,
      'queue released',
    );
    expect(readmitted.filter((r) => r === null)).toHaveLength(1); // the one in the slot waits silently
    open.forEach((p) => p.abort.abort());
  });

  it('a client that gives up gets its reserved tokens back at once (not when the job would have timed out)', async () => {
    // Each request reserves its prompt estimate + max_tokens against the key's tokens per minute: two do not fit.
    const key = await createApiKey(edge.gw, await registerUser(edge.gw, newUsername(), PASSWORD), {
      name: 't',
      tpm: 600,
    });
    const ask = () => {
      const abort = new AbortController();
      const response = fetch(`${edge.gw}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify({ model: 'stories260k', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 400 }),
        signal: abort.signal,
      });
      response.catch(() => undefined);
      const p = { abort, response };
      open.push(p);
      return p;
    };
    let last = '';
    const admit = () =>
      eventually(
        async () => {
          const p = ask();
          const res = await within(p, 500);
          if (res === null) return p;
          last = `${res.status} ${await res.text()}`;
          expect(res.status).toBe(429);
          return null;
        },
        3000,
        () => `admitted (last answer: ${last})`,
      );
    const first = await admit();
    first.abort.abort();
    const second = await admit();
    second.abort.abort();
  });
});

// ---------------------------------------------------------------------------------------------------------------
// d. A flood of bad credentials (last: it blocks this address for new credentials for a while)
// ---------------------------------------------------------------------------------------------------------------

describe('failed authentications per IP', () => {
  it('a flood of made-up keys gets 429 with Retry-After, while a key already in use keeps working', async () => {
    const good = await createApiKey(edge.gw, edge.platform.adminToken, { name: 'in-use' });
    expect((await api('/v1/models', { bearer: good })).status).toBe(200);

    const results: Call[] = [];
    for (let i = 0; i < 3 * AUTH_FAILURES_PER_IP_PER_MIN; i++) {
      results.push(await api('/v1/models', { bearer: `sk-made-up-${i}-${'0'.repeat(40)}` }));
    }
    const statuses = results.map((r) => r.status);
    // The allowance is spent by the first AUTH_FAILURES_PER_IP_PER_MIN failures; the one that finds it empty is
    // still answered 401 (it was checked), every later one 429 before any lookup.
    expect(statuses.slice(0, AUTH_FAILURES_PER_IP_PER_MIN)).toEqual(Array(AUTH_FAILURES_PER_IP_PER_MIN).fill(401));
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(AUTH_FAILURES_PER_IP_PER_MIN + 1);
    expect(statuses.slice(-AUTH_FAILURES_PER_IP_PER_MIN)).toEqual(Array(AUTH_FAILURES_PER_IP_PER_MIN).fill(429));
    const limited = results.find((r) => r.status === 429)!;
    expect(limited.body.error.code).toBe('rate_limit_exceeded');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);

    // The valid key, already verified here, is not blocked with the address.
    const ok = await api('/v1/models', { bearer: good });
    expect(ok.status).toBe(200);
    expect(ok.body.data.map((m: { id: string }) => m.id)).toContain('stories260k');
  });
});
