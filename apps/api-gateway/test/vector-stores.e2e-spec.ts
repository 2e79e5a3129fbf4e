// End-to-end: OpenAI's Files and Vector Stores APIs. Auth, chat-history, the rag service, an embedding worker
// (potion-base-2m) and the gateway run as real processes; the official `openai` package drives them as it would
// drive api.openai.com: uploads (markdown and a real PDF), uploadAndPoll/createAndPoll to `completed`, search with a
// compound attribute filter, pagination, downloads, deletion, isolation between users, and the failures a client
// must see (413, 400, a broken file ending `failed`).
import OpenAI, { APIError, toFile } from 'openai';
import { RunningPlatform, WITH_DOCUMENTS, registerUser, startPlatform } from '@llmp/testing';

jest.setTimeout(180_000);

/** A small upload limit (gateway and rag read the same setting), so the 413 needs no large buffer. */
const MAX_BYTES = 256 * 1024;
const PASSWORD = 'Str0ng-enough-pass';
/** The poll pace the gateway advertises on in-progress vector store files and batches. */
const POLL_AFTER_MS = '200';

const MARKDOWN = [
  '# The outer planets',
  '',
  'Jupiter is the largest planet of the solar system, a gas giant with a great red storm.',
  'Saturn is famous for its bright rings of ice and rock; it orbits the sun every 29 years.',
  'Uranus and Neptune are ice giants, far colder than the inner rocky planets.',
  '',
].join('\n');

const PDF_LINES = [
  'Photosynthesis in green plants',
  'Chloroplasts capture sunlight and turn it into chemical energy.',
  'Leaves take in carbon dioxide and water and release oxygen.',
];

const NOTES = 'Sourdough bread needs flour, water, salt and a lively starter; it rises slowly overnight.\n';

/** A valid one-page PDF 1.4 with Helvetica text lines (correct xref offsets), as a word processor would write. */
function makePdf(lines: string[]): Buffer {
  const escape = (s: string) => s.replace(/[\\()]/g, (c) => `\\${c}`);
  const text = lines.map((l, i) => `${i === 0 ? '' : '0 -18 Td '}(${escape(l)}) Tj`).join('\n');
  const stream = `BT\n/F1 12 Tf\n72 720 Td\n${text}\nET`;
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${Buffer.byteLength(stream)} >>\nstream\n${stream}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let pdf = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(Buffer.byteLength(pdf));
    pdf += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = Buffer.byteLength(pdf);
  pdf += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  pdf += offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('');
  pdf += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(pdf, 'latin1');
}

let platform: RunningPlatform;
let alice: OpenAI;
let bob: OpenAI;
let bobToken: string;

beforeAll(async () => {
  platform = await startPlatform({
    worker: false,
    ...WITH_DOCUMENTS,
    env: { RAG_FILE_MAX_BYTES: String(MAX_BYTES), RAG_POLL_AFTER_MS: POLL_AFTER_MS },
    // A rag service that is down is reported within this (the last test stops it).
    gatewayEnv: { RAG_RPC_TIMEOUT_MS: '5000' },
  });
  const baseURL = `${platform.gateway.url}/v1`;
  // No retries: every status below is the first answer.
  alice = new OpenAI({ baseURL, apiKey: platform.apiKey, maxRetries: 0 });
  bobToken = await registerUser(platform.gateway.url, `bob${Date.now().toString(36)}`, PASSWORD);
  bob = new OpenAI({ baseURL, apiKey: bobToken, maxRetries: 0 });
});

afterAll(async () => {
  await platform?.stop();
});

/** The API error a call ends with (fails the test if it succeeds). */
async function apiError(call: Promise<unknown>): Promise<APIError> {
  try {
    await call;
  } catch (err) {
    if (err instanceof APIError) return err;
    throw err;
  }
  throw new Error('expected the call to fail');
}

async function searchIds(client: OpenAI, vectorStoreId: string, query: string, filters?: unknown) {
  const page = await client.vectorStores.search(vectorStoreId, {
    query,
    max_num_results: 10,
    ...(filters ? { filters: filters as never } : {}),
  });
  return page.data;
}

describe('files', () => {
  it('uploads markdown and a PDF, lists them in pages, and gives the bytes back with their content type', async () => {
    const md = await alice.files.create({
      file: await toFile(Buffer.from(MARKDOWN), 'planets.md', { type: 'text/markdown' }),
      purpose: 'assistants',
    });
    expect(md).toMatchObject({
      object: 'file',
      filename: 'planets.md',
      purpose: 'assistants',
      bytes: Buffer.byteLength(MARKDOWN),
    });
    expect(md.id).toMatch(/^file-/);

    const pdfBytes = makePdf(PDF_LINES);
    const pdf = await alice.files.create({
      file: await toFile(pdfBytes, 'plants.pdf', { type: 'application/pdf' }),
      purpose: 'user_data',
      expires_after: { anchor: 'created_at', seconds: 3600 },
    });
    expect(pdf).toMatchObject({ filename: 'plants.pdf', purpose: 'user_data', bytes: pdfBytes.length });
    expect(pdf.expires_at).toBe(pdf.created_at + 3600);

    const notes = await alice.files.create({
      file: await toFile(Buffer.from(NOTES), 'bread.txt'),
      purpose: 'assistants',
    });

    expect(await alice.files.retrieve(md.id)).toMatchObject({ id: md.id, filename: 'planets.md' });

    const content = await alice.files.content(md.id);
    expect(content.headers.get('content-type')).toMatch(/^text\/markdown/);
    expect(await content.text()).toBe(MARKDOWN);
    const pdfContent = await alice.files.content(pdf.id);
    expect(pdfContent.headers.get('content-type')).toMatch(/^application\/pdf/);
    expect(Buffer.from(await pdfContent.arrayBuffer()).equals(pdfBytes)).toBe(true);

    // Pagination: two at a time, the SDK following `after`; the pages make up the whole list, in both orders.
    const full = (await alice.files.list({ limit: 100 })).data.map((f) => f.id);
    expect([...full].sort()).toEqual([md.id, pdf.id, notes.id].sort());
    const first = await alice.files.list({ limit: 2 });
    expect(first.data).toHaveLength(2);
    expect(first.hasNextPage()).toBe(true);
    const second = await first.getNextPage();
    expect([...first.data, ...second.data].map((f) => f.id)).toEqual(full);
    expect(second.hasNextPage()).toBe(false);
    const ascending: string[] = [];
    for await (const f of alice.files.list({ limit: 1, order: 'asc' })) ascending.push(f.id);
    expect(ascending).toEqual([...full].reverse());
    const userData = await alice.files.list({ purpose: 'user_data' });
    expect(userData.data.map((f) => f.id)).toEqual([pdf.id]);

    await alice.files.delete(notes.id);
  });

  it('refuses an unknown purpose with a 400 naming it', async () => {
    const err = await apiError(
      alice.files.create({ file: await toFile(Buffer.from('x'), 'x.txt'), purpose: 'nonsense' as never }),
    );
    expect(err.status).toBe(400);
    expect(err.param).toBe('purpose');
    expect(err.type).toBe('invalid_request_error');
  });

  it('refuses a file beyond RAG_FILE_MAX_BYTES with a 413 payload_too_large', async () => {
    const err = await apiError(
      alice.files.create({ file: await toFile(Buffer.alloc(MAX_BYTES + 1, 97), 'big.txt'), purpose: 'assistants' }),
    );
    expect(err.status).toBe(413);
    expect(err.code).toBe('payload_too_large');
    expect(err.param).toBe('file');
    // Nothing was stored.
    const names = (await alice.files.list()).data.map((f) => f.filename);
    expect(names).not.toContain('big.txt');
  });

  it('answers an unknown file with a 404', async () => {
    const err = await apiError(alice.files.retrieve('file-doesnotexist'));
    expect(err.status).toBe(404);
  });
});

describe('vector stores', () => {
  let storeId: string;
  let mdId: string;
  let pdfId: string;

  it('ingests a markdown file (uploadAndPoll) and a PDF (createAndPoll) to completed', async () => {
    const store = await alice.vectorStores.create({ name: 'science', metadata: { team: 'e2e' } });
    expect(store).toMatchObject({ object: 'vector_store', name: 'science', metadata: { team: 'e2e' } });
    storeId = store.id;

    const md = await alice.vectorStores.files.uploadAndPoll(
      storeId,
      await toFile(Buffer.from(MARKDOWN), 'planets.md', { type: 'text/markdown' }),
    );
    expect(md).toMatchObject({ object: 'vector_store.file', vector_store_id: storeId, status: 'completed' });
    expect(md.last_error).toBeNull();
    mdId = md.id;
    await alice.vectorStores.files.update(mdId, {
      vector_store_id: storeId,
      attributes: { kind: 'markdown', year: 2025 },
    });

    const pdfFile = await alice.files.create({
      file: await toFile(makePdf(PDF_LINES), 'plants.pdf', { type: 'application/pdf' }),
      purpose: 'assistants',
    });
    pdfId = pdfFile.id;
    // The attach answers in_progress with the poll pace; createAndPoll then follows it to completed.
    const attached = await alice.vectorStores.files
      .create(storeId, { file_id: pdfId, attributes: { kind: 'pdf', year: 2023 } })
      .withResponse();
    expect(attached.data.status).toBe('in_progress');
    expect(attached.response.headers.get('openai-poll-after-ms')).toBe(POLL_AFTER_MS);
    const pdf = await alice.vectorStores.files.createAndPoll(storeId, { file_id: pdfId });
    expect(pdf.status).toBe('completed');
    expect(pdf.attributes).toEqual({ kind: 'pdf', year: 2023 });

    const completed = await alice.vectorStores.files.list(storeId, { filter: 'completed' });
    expect(completed.data.map((f) => f.id).sort()).toEqual([mdId, pdfId].sort());
    const retrieved = await alice.vectorStores.retrieve(storeId);
    expect(retrieved.file_counts).toMatchObject({ completed: 2, in_progress: 0, failed: 0, total: 2 });

    const text = (await alice.vectorStores.files.content(pdfId, { vector_store_id: storeId })).data
      .map((p) => p.text)
      .join(' ');
    expect(text).toContain('Chloroplasts capture sunlight');
  });

  it('search finds the right file, and a compound filter on attributes narrows it', async () => {
    const hits = await searchIds(alice, storeId, 'How do chloroplasts turn sunlight into chemical energy?');
    expect(hits[0]).toMatchObject({ file_id: pdfId, filename: 'plants.pdf', attributes: { kind: 'pdf', year: 2023 } });
    expect(hits[0]!.content[0]!.text).toContain('sunlight');
    expect(hits[0]!.score).toBeGreaterThan(0);

    const planets = await searchIds(alice, storeId, 'rings of Saturn');
    expect(planets[0]?.file_id).toBe(mdId);

    // (kind = markdown AND year > 2024) OR kind = spreadsheet: only the markdown file, whatever the query.
    const recent = {
      type: 'or',
      filters: [
        {
          type: 'and',
          filters: [
            { type: 'eq', key: 'kind', value: 'markdown' },
            { type: 'gt', key: 'year', value: 2024 },
          ],
        },
        { type: 'eq', key: 'kind', value: 'spreadsheet' },
      ],
    };
    const filtered = await searchIds(alice, storeId, 'chloroplasts sunlight chemical energy', recent);
    expect(filtered.length).toBeGreaterThan(0);
    expect(new Set(filtered.map((h) => h.file_id))).toEqual(new Set([mdId]));

    // kind = pdf AND year > 2024: nothing matches.
    const none = await searchIds(alice, storeId, 'chloroplasts', {
      type: 'and',
      filters: [
        { type: 'eq', key: 'kind', value: 'pdf' },
        { type: 'gt', key: 'year', value: 2024 },
      ],
    });
    expect(none).toEqual([]);
  });

  it('a file batch reaches completed with exact file counts', async () => {
    const notes = await alice.files.create({
      file: await toFile(Buffer.from(NOTES), 'bread.txt'),
      purpose: 'assistants',
    });
    const batch = await alice.vectorStores.fileBatches.createAndPoll(storeId, { file_ids: [notes.id] });
    expect(batch).toMatchObject({ object: 'vector_store.files_batch', status: 'completed' });
    expect(batch.file_counts).toMatchObject({ completed: 1, failed: 0, in_progress: 0, total: 1 });
    const files = await alice.vectorStores.fileBatches.listFiles(batch.id, { vector_store_id: storeId });
    expect(files.data.map((f) => f.id)).toEqual([notes.id]);
    const hits = await searchIds(alice, storeId, 'sourdough starter flour');
    expect(hits[0]?.file_id).toBe(notes.id);
  });

  it('a broken file ends failed with last_error, and nothing of it is searchable', async () => {
    const broken = await alice.files.create({
      file: await toFile(Buffer.from('%PDF-1.4\nthis is not really a pdf zebra-quokka\n'), 'broken.pdf', {
        type: 'application/pdf',
      }),
      purpose: 'assistants',
    });
    const vsFile = await alice.vectorStores.files.createAndPoll(storeId, { file_id: broken.id });
    expect(vsFile.status).toBe('failed');
    expect(['invalid_file', 'unsupported_file']).toContain(vsFile.last_error?.code);
    expect(vsFile.last_error?.message.length).toBeGreaterThan(0);
    expect((await alice.vectorStores.retrieve(storeId)).file_counts.failed).toBe(1);
    const hits = await searchIds(alice, storeId, 'zebra-quokka');
    expect(hits.map((h) => h.file_id)).not.toContain(broken.id);
  });

  it('refuses a malformed body with a 400 naming the field', async () => {
    const err = await apiError(alice.vectorStores.search(storeId, { query: 'x', max_num_results: 500 }));
    expect(err.status).toBe(400);
    expect(err.param).toBe('max_num_results');
  });

  it('keeps users apart: 404 on the other user’s objects, never in results', async () => {
    expect((await apiError(bob.files.retrieve(mdId))).status).toBe(404);
    expect((await apiError(bob.files.content(mdId))).status).toBe(404);
    expect((await apiError(bob.files.delete(mdId))).status).toBe(404);
    expect((await apiError(bob.vectorStores.retrieve(storeId))).status).toBe(404);
    expect((await apiError(bob.vectorStores.search(storeId, { query: 'Saturn' }))).status).toBe(404);
    expect((await apiError(bob.vectorStores.files.list(storeId))).status).toBe(404);
    expect((await apiError(bob.vectorStores.delete(storeId))).status).toBe(404);

    const bobStore = await bob.vectorStores.create({ name: 'bob' });
    // Alice's file cannot be attached to Bob's store.
    expect((await apiError(bob.vectorStores.files.create(bobStore.id, { file_id: pdfId }))).status).toBe(404);
    const bobFile = await bob.vectorStores.files.uploadAndPoll(
      bobStore.id,
      await toFile(Buffer.from('Saturn has rings; Bob wrote this note about the rings of Saturn.'), 'bob.md'),
    );
    expect(bobFile.status).toBe('completed');

    const bobHits = await searchIds(bob, bobStore.id, 'rings of Saturn');
    expect(new Set(bobHits.map((h) => h.file_id))).toEqual(new Set([bobFile.id]));
    const aliceHits = await searchIds(alice, storeId, 'rings of Saturn Bob note');
    expect(aliceHits.map((h) => h.file_id)).not.toContain(bobFile.id);
    expect((await bob.files.list()).data.map((f) => f.id)).toEqual([bobFile.id]);
    expect((await alice.vectorStores.list()).data.map((s) => s.id)).not.toContain(bobStore.id);
  });

  it('a deleted file is gone from search at once; a deleted store answers 404', async () => {
    expect(await alice.files.delete(pdfId)).toMatchObject({ id: pdfId, deleted: true });
    const hits = await searchIds(alice, storeId, 'How do chloroplasts turn sunlight into chemical energy?');
    expect(hits.map((h) => h.file_id)).not.toContain(pdfId);
    expect((await apiError(alice.vectorStores.files.retrieve(pdfId, { vector_store_id: storeId }))).status).toBe(404);
    expect((await apiError(alice.files.retrieve(pdfId))).status).toBe(404);

    expect(await alice.vectorStores.delete(storeId)).toMatchObject({ id: storeId, deleted: true });
    expect((await apiError(alice.vectorStores.retrieve(storeId))).status).toBe(404);
    expect((await apiError(alice.vectorStores.search(storeId, { query: 'Saturn' }))).status).toBe(404);
    // The files stay.
    expect((await alice.files.retrieve(mdId)).id).toBe(mdId);
  });

  it('DELETE /v1/me/data removes the caller’s files and vector stores', async () => {
    const res = await fetch(`${platform.gateway.url}/v1/me/data`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${bobToken}` },
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { deleted: { files: number; vector_stores: number } };
    expect(body.deleted).toMatchObject({ files: 1, vector_stores: 1 });
    expect((await bob.files.list()).data).toEqual([]);
    expect((await bob.vectorStores.list()).data).toEqual([]);
  });

  it('DELETE /v1/me/data fails loudly (503, Retry-After) while the rag service is down, deleting nothing', async () => {
    const token = await registerUser(platform.gateway.url, `carol${Date.now().toString(36)}`, PASSWORD);
    const carol = new OpenAI({ baseURL: `${platform.gateway.url}/v1`, apiKey: token, maxRetries: 0 });
    const conv = await carol.conversations.create({ items: [{ type: 'message', role: 'user', content: 'hi' }] });
    await platform.rag!.stop();
    const res = await fetch(`${platform.gateway.url}/v1/me/data`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBeTruthy();
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('service_unavailable');
    expect((await carol.conversations.retrieve(conv.id)).id).toBe(conv.id);
  });
});
