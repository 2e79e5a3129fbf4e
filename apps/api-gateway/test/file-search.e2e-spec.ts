// End-to-end: generation grounded on vector stores. Auth, chat-history, the rag service, an embedding worker
// (potion-base-2m), an inference worker (stories260k) and the gateway run as real processes; the official `openai`
// package drives the Responses `file_search` tool (results, item shape, streaming order, previous_response_id and
// conversations) and Chat Completions with the `file_search` extension (sources, dry run); raw fetch drives the
// seeds' `/v1/rag/*` routes; another user's vector store is a 404. Responses `input_file` parts (inline PDF,
// uploaded file_id) are read through the same extractors.
//
// Needs a build first (`npm run build`): the apps start from dist/.
import OpenAI, { APIError, toFile } from 'openai';
import type { Response, ResponseFileSearchToolCall, ResponseOutputMessage } from 'openai/resources/responses/responses';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, RunningPlatform, WITH_DOCUMENTS, registerUser, startPlatform } from '@llmp/testing';

jest.setTimeout(240_000);

const MODEL = 'stories260k';
const PASSWORD = 'Str0ng-enough-pass';

const PLANETS = [
  '# The outer planets',
  '',
  'Jupiter is the largest planet of the solar system, a gas giant with a great red storm.',
  'Saturn is famous for its bright rings of ice and rock; it orbits the sun every 29 years.',
  '',
].join('\n');
const BREAD = 'Sourdough bread needs flour, water, salt and a lively starter; the dough rises slowly overnight.\n';
const RINGS_QUESTION = 'Which planet has bright rings of ice and rock?';

let platform: RunningPlatform;
let gw: string;
let alice: OpenAI;
let bob: OpenAI;
let bobToken: string;
let vectorStoreId: string;
let planetsFileId: string;
let breadFileId: string;

async function post(path: string, body: unknown, bearer = platform.apiKey) {
  const res = await fetch(`${gw}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, text, body: text.startsWith('{') ? JSON.parse(text) : null };
}

async function expectStatus(call: Promise<unknown>, status: number): Promise<APIError> {
  const err = await call.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(APIError);
  expect((err as APIError).status).toBe(status);
  return err as APIError;
}

function fileSearchItem(r: Response): ResponseFileSearchToolCall {
  const item = r.output[0]!;
  expect(item.type).toBe('file_search_call');
  return item as ResponseFileSearchToolCall;
}

function messageItem(r: Response): ResponseOutputMessage {
  const item = r.output[1]!;
  expect(item.type).toBe('message');
  return item as ResponseOutputMessage;
}

beforeAll(async () => {
  platform = await startPlatform({
    workerModels: MODEL,
    ...WITH_DOCUMENTS,
    env: { LOG_LEVEL: 'warn', RAG_POLL_AFTER_MS: '200' },
  });
  gw = platform.gateway.url;
  alice = new OpenAI({ baseURL: `${gw}/v1`, apiKey: platform.apiKey, maxRetries: 0, timeout: 60_000 });
  bobToken = await registerUser(gw, `bob${Date.now().toString(36)}`, PASSWORD);
  bob = new OpenAI({ baseURL: `${gw}/v1`, apiKey: bobToken, maxRetries: 0 });

  const vs = await alice.vectorStores.create({ name: 'knowledge' });
  vectorStoreId = vs.id;
  const planets = await alice.vectorStores.files.uploadAndPoll(vs.id, await toFile(Buffer.from(PLANETS), 'planets.md'));
  const bread = await alice.vectorStores.files.uploadAndPoll(vs.id, await toFile(Buffer.from(BREAD), 'bread.txt'));
  expect([planets.status, bread.status]).toEqual(['completed', 'completed']);
  planetsFileId = planets.id;
  breadFileId = bread.id;
});

afterAll(async () => {
  await platform?.stop();
});

describe('Responses file_search', () => {
  it('searches with the input, ranks the right file first and returns the file_search_call item before the answer', async () => {
    const r = await alice.responses.create({
      model: MODEL,
      input: RINGS_QUESTION,
      max_output_tokens: 24,
      tools: [{ type: 'file_search', vector_store_ids: [vectorStoreId], max_num_results: 2 }],
      include: ['file_search_call.results'],
    });
    // A reply cut by max_output_tokens is `incomplete`; the search is complete either way.
    expect(['completed', 'incomplete']).toContain(r.status);
    const call = fileSearchItem(r);
    expect(call).toMatchObject({ status: 'completed', queries: [RINGS_QUESTION] });
    expect(call.id).toMatch(/^fs_/);
    expect(call.results!.length).toBeGreaterThanOrEqual(1);
    expect(call.results![0]).toMatchObject({ file_id: planetsFileId, filename: 'planets.md' });
    expect(call.results![0]!.text).toContain('Saturn');
    expect(call.results![0]!.score).toBeGreaterThan(0);
    const text = messageItem(r).content[0]!;
    expect(text.type).toBe('output_text');
    // Annotations only for the [n] the model wrote, each naming a file that was retrieved.
    if (text.type === 'output_text') {
      for (const a of text.annotations) {
        expect(a).toMatchObject({ type: 'file_citation' });
        expect([planetsFileId, breadFileId]).toContain((a as { file_id: string }).file_id);
      }
      if (!/\[\d+\]/.test(text.text)) expect(text.annotations).toEqual([]);
    }
    expect(r.tools).toEqual([expect.objectContaining({ type: 'file_search', vector_store_ids: [vectorStoreId] })]);

    // Without the include, the call item has no results; the retrieval still grounds the answer.
    const bare = await alice.responses.create({
      model: MODEL,
      input: 'How is sourdough bread made?',
      max_output_tokens: 8,
      tools: [{ type: 'file_search', vector_store_ids: [vectorStoreId] }],
    });
    expect(fileSearchItem(bare).results ?? null).toBeNull();

    // tool_choice 'none': no tool is called, so nothing is searched and the output is the message alone.
    const none = await alice.responses.create({
      model: MODEL,
      input: 'How is sourdough bread made?',
      max_output_tokens: 8,
      tools: [{ type: 'file_search', vector_store_ids: [vectorStoreId] }],
      tool_choice: 'none',
    });
    expect(none.output.map((o) => o.type)).toEqual(['message']);
    expect(none.tool_choice).toBe('none');
  });

  it('streams the file_search_call events first, then the message events', async () => {
    const stream = await alice.responses.create({
      model: MODEL,
      input: RINGS_QUESTION,
      max_output_tokens: 16,
      stream: true,
      tools: [{ type: 'file_search', vector_store_ids: [vectorStoreId] }],
      include: ['file_search_call.results'],
    });
    const types: string[] = [];
    let final: Response | null = null;
    for await (const ev of stream) {
      types.push(ev.type);
      if (ev.type === 'response.completed' || ev.type === 'response.incomplete') final = ev.response;
    }
    const deltas = types.filter((t) => t === 'response.output_text.delta').length;
    const annotations = types.filter((t) => t === 'response.output_text.annotation.added').length;
    expect(types).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.file_search_call.in_progress',
      'response.file_search_call.searching',
      'response.file_search_call.completed',
      'response.output_item.done',
      'response.output_item.added',
      'response.content_part.added',
      ...Array<string>(deltas).fill('response.output_text.delta'),
      ...Array<string>(annotations).fill('response.output_text.annotation.added'),
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      final!.status === 'completed' ? 'response.completed' : 'response.incomplete',
    ]);
    expect(fileSearchItem(final!).results![0]!.file_id).toBe(planetsFileId);
  });

  it('works with previous_response_id (the stored response keeps the call item) and with a conversation', async () => {
    const tools = [{ type: 'file_search' as const, vector_store_ids: [vectorStoreId] }];
    const first = await alice.responses.create({ model: MODEL, input: RINGS_QUESTION, max_output_tokens: 8, tools });
    const stored = await alice.responses.retrieve(first.id);
    expect(stored.output.map((o) => o.type)).toEqual(['file_search_call', 'message']);
    const next = await alice.responses.create({
      model: MODEL,
      input: 'And what does sourdough need?',
      previous_response_id: first.id,
      max_output_tokens: 8,
      tools,
      include: ['file_search_call.results'],
    });
    expect(fileSearchItem(next).results![0]!.file_id).toBe(breadFileId);

    const conv = await alice.conversations.create({});
    const inConv = await alice.responses.create({
      model: MODEL,
      input: RINGS_QUESTION,
      conversation: conv.id,
      max_output_tokens: 8,
      tools,
    });
    expect(inConv.output.map((o) => o.type)).toEqual(['file_search_call', 'message']);
    const items = await alice.conversations.items.list(conv.id, { order: 'asc' });
    expect(items.data.map((i) => i.type)).toEqual(['message', 'message']);
  });

  it("answers 404 for another user's vector store and refuses other tool types", async () => {
    const err = await expectStatus(
      bob.responses.create({
        model: MODEL,
        input: RINGS_QUESTION,
        tools: [{ type: 'file_search', vector_store_ids: [vectorStoreId] }],
      }),
      404,
    );
    expect(err.code).toBe('not_found');
    const refused = await expectStatus(
      alice.responses.create({
        model: MODEL,
        input: 'hi',
        tools: [{ type: 'function', name: 'f', parameters: {}, strict: false }],
      }),
      400,
    );
    expect(refused.code).toBe('unsupported_parameter');
  });
});

describe('Chat Completions file_search extension', () => {
  const body = () => ({
    model: MODEL,
    messages: [{ role: 'user' as const, content: RINGS_QUESTION }],
    max_tokens: 16,
    file_search: { vector_store_ids: [vectorStoreId], max_num_results: 2 },
  });

  it('grounds the chat and returns the sources it used', async () => {
    const res = (await alice.chat.completions.create(body())) as unknown as {
      choices: { message: { content: string } }[];
      sources: { index: number; file_id: string; filename: string; score: number; text: string }[];
    };
    expect(typeof res.choices[0]!.message.content).toBe('string');
    expect(res.sources[0]).toMatchObject({ index: 1, file_id: planetsFileId, filename: 'planets.md' });
    expect(res.sources[0]!.text).toContain('Saturn');
  });

  it('dry run shows the retrieved context as its own prompt section with its tokens', async () => {
    const res = await post('/v1/chat/completions', { ...body(), dry_run: true });
    expect(res.status).toBe(200);
    expect(res.body.prompt).toContain('[1] planets.md: ');
    expect(res.body.context.tokens.retrieval).toBeGreaterThan(0);
    expect(res.body.sources[0]).toMatchObject({ index: 1, file_id: planetsFileId });
  });

  it("answers 404 for another user's vector store", async () => {
    const res = await post('/v1/chat/completions', body(), bobToken);
    expect(res.status).toBe(404);
  });
});

describe("the seeds' /v1/rag routes", () => {
  it('stores documents, finds them with a metadata filter and answers with numbered sources', async () => {
    const added = await post('/v1/rag/documents', {
      texts: [
        'The Moon orbits the Earth once every 27 days and has no atmosphere.',
        'Green tea is brewed with water below boiling so that the leaves do not turn bitter.',
      ],
      metadata: [{ topic: 'space' }, { topic: 'cooking' }],
      wait: true,
    });
    expect(added.status).toBe(201);
    expect(added.body.ids).toHaveLength(2);
    expect(added.body.documents.map((d: { status: string }) => d.status)).toEqual(['completed', 'completed']);
    expect(added.body.documents[0]).toMatchObject({ filename: 'doc-1.txt', metadata: { topic: 'space' } });
    const [moonId] = added.body.ids as string[];

    const found = await post('/v1/rag/search', { query: 'How long does the Moon take to orbit?', limit: 5 });
    expect(found.status).toBe(200);
    expect(found.body).toMatchObject({ query: 'How long does the Moon take to orbit?' });
    expect(found.body.documents[0]).toMatchObject({ id: moonId, file_id: moonId, metadata: { topic: 'space' } });
    expect(found.body.count).toBe(found.body.documents.length);

    const filtered = await post('/v1/rag/search', { query: 'water', limit: 5, filter: { topic: 'cooking' } });
    expect(filtered.body.count).toBeGreaterThan(0);
    for (const d of filtered.body.documents) expect(d.metadata.topic).toBe('cooking');

    const chat = await post('/v1/rag/chat', { query: 'How long does the Moon take to orbit?', max_tokens: 16 });
    expect(chat.status).toBe(200);
    expect(typeof chat.body.answer).toBe('string');
    expect(chat.body.sources[0]).toMatchObject({ index: 1, file_id: moonId, filename: 'doc-1.txt' });
    expect(chat.body.usage.total_tokens).toBeGreaterThan(0);

    const streamed = await post('/v1/rag/chat', { query: 'How is green tea brewed?', max_tokens: 8, stream: true });
    expect(streamed.status).toBe(200);
    const events = streamed.text
      .split('\n')
      .filter((l) => l.startsWith('data: '))
      .map((l) => l.slice(6));
    expect(events.at(-1)).toBe('[DONE]');
    const done = JSON.parse(events.at(-2)!);
    expect(done.object).toBe('rag.chat.completed');
    expect(done.sources[0].filename).toBe('doc-2.txt');
    const answer = events
      .slice(0, -2)
      .map((e) => JSON.parse(e).delta)
      .join('');
    expect(answer).toBe(done.answer);
  });

  it("never shows another user's documents", async () => {
    const res = await post('/v1/rag/search', { query: 'Moon', limit: 5 }, bobToken);
    expect(res.status).toBe(200);
    expect(res.body.count).toBe(0);
  });
});

describe('Responses input_file parts (text extracted by the gateway)', () => {
  const SAMPLE_PDF = readFileSync(join(REPO_ROOT, 'libs/documents/test/fixtures/sample.pdf'));
  const withFile = (file: object, text = 'What does the file say?') => [
    {
      role: 'user',
      content: [
        { type: 'input_text', text },
        { type: 'input_file', ...file },
      ],
    },
  ];

  it('reads an inline PDF (a data URL): the model gets its text, and the stored input keeps it', async () => {
    const file = { filename: 'harbour.pdf', file_data: `data:application/pdf;base64,${SAMPLE_PDF.toString('base64')}` };
    const dry = await post('/v1/responses', { model: MODEL, input: withFile(file), dry_run: true });
    expect(dry.status).toBe(200);
    expect(dry.body.prompt).toContain('<file name="harbour.pdf">');
    expect(dry.body.prompt).toContain('The north beacon was repaired in March.');
    expect(dry.body.prompt).toContain('The Aurora delivered oil and bread.');

    const r = await alice.responses.create({ model: MODEL, max_output_tokens: 8, input: withFile(file) as never });
    expect(r.status).toMatch(/completed|incomplete/);
    expect(r.usage!.input_tokens).toBe(dry.body.usage.prompt_tokens);
    const items = await alice.responses.inputItems.list(r.id);
    const parts = (items.data[0] as { content: { type: string; text: string }[] }).content;
    expect(parts.map((p) => p.type)).toEqual(['input_text', 'input_text']);
    expect(parts[1]!.text).toContain('The north beacon was repaired in March.');
  });

  it('reads an uploaded file by file_id, and only its owner may', async () => {
    const dry = await post('/v1/responses', { model: MODEL, input: withFile({ file_id: breadFileId }), dry_run: true });
    expect(dry.status).toBe(200);
    expect(dry.body.prompt).toContain(BREAD.trim());
    const other = await post(
      '/v1/responses',
      { model: MODEL, input: withFile({ file_id: breadFileId }), dry_run: true },
      bobToken,
    );
    expect(other.status).toBe(404);
  });

  it("reads Chat Completions' file parts too, and refuses images as a capability the models lack", async () => {
    const messages = [
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Summarize:' },
          {
            type: 'file',
            file: {
              filename: 'harbour.pdf',
              file_data: `data:application/pdf;base64,${SAMPLE_PDF.toString('base64')}`,
            },
          },
        ],
      },
    ];
    const dry = await post('/v1/chat/completions', { model: MODEL, messages, dry_run: true });
    expect(dry.status).toBe(200);
    expect(dry.body.prompt).toContain('<file name="harbour.pdf">');
    expect(dry.body.prompt).toContain('The Aurora delivered oil and bread.');
    const byId = await post('/v1/chat/completions', {
      model: MODEL,
      dry_run: true,
      messages: [{ role: 'user', content: [{ type: 'file', file: { file_id: breadFileId } }] }],
    });
    expect(byId.body.prompt).toContain(BREAD.trim());
    const image = await post('/v1/chat/completions', {
      model: MODEL,
      messages: [
        { role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } }] },
      ],
    });
    expect(image.status).toBe(400);
    expect(image.body.error).toMatchObject({ code: 'unsupported_capability', param: 'messages[0].content[0]' });
  });

  it('refuses file_url, broken files and parts without a source with a 400 naming the part', async () => {
    const cases: [object, string, string][] = [
      [{ file_url: 'http://169.254.169.254/latest' }, 'unsupported_parameter', 'input[0].content[1].file_url'],
      [
        { filename: 'x.pdf', file_data: Buffer.from('not a pdf').toString('base64') },
        'invalid_request',
        'input[0].content[1]',
      ],
      [{ filename: 'x.txt', file_data: 'not base64!' }, 'invalid_request', 'input[0].content[1].file_data'],
      [{ filename: 'x.txt' }, 'invalid_request', 'input[0].content[1]'],
    ];
    for (const [file, code, param] of cases) {
      const res = await post('/v1/responses', { model: MODEL, input: withFile(file) });
      expect({
        status: res.status,
        code: res.body.error.code,
        param: res.body.error.param,
      }).toEqual({
        status: 400,
        code,
        param,
      });
    }
  });
});
