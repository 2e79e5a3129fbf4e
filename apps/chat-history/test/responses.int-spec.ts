import {
  ChatHistoryHarness,
  createConversation,
  newUserId,
  startChatHistory,
  userMessage,
} from './chat-history-harness';

function responseObject(id: string, text: string) {
  return {
    id,
    object: 'response',
    created_at: 1_700_000_000,
    status: 'completed',
    model: 'stories260k',
    output: [
      {
        type: 'message',
        id: `msg_${id}`,
        status: 'completed',
        role: 'assistant',
        content: [{ type: 'output_text', text, annotations: [] }],
      },
    ],
    usage: { input_tokens: 3, output_tokens: 2, total_tokens: 5 },
  };
}

const inputItems = (n: number) =>
  Array.from({ length: n }, (_, i) => ({
    id: `msg_in${i}`,
    type: 'message',
    role: 'user',
    content: [{ type: 'input_text', text: `in${i}` }],
  }));

describe('chat-history stored responses (RPC)', () => {
  let h: ChatHistoryHarness;
  const alice = newUserId();
  const bob = newUserId();

  beforeAll(async () => {
    h = await startChatHistory();
  });

  afterAll(async () => {
    await h?.stop();
  });

  it('stores a response object and gives it back as it was, key order included', async () => {
    const response = responseObject('resp_one', 'Once upon a time');
    const stored = await h.call('storeResponse', { userId: alice, response, inputItems: inputItems(2) });
    expect(stored).toEqual({ response, inputItems: inputItems(2), conversationId: null, previousResponseId: null });
    const got = await h.call('getResponse', { userId: alice, id: 'resp_one' });
    expect(JSON.stringify(got.response)).toBe(JSON.stringify(response));
  });

  it('links a response to its conversation and previous response, both the user’s', async () => {
    const conv = await createConversation(h, alice);
    await h.call('storeResponse', { userId: alice, response: responseObject('resp_a1', 'x'), conversationId: conv.id });
    const second = await h.call('storeResponse', {
      userId: alice,
      response: responseObject('resp_a2', 'y'),
      conversationId: conv.id,
      previousResponseId: 'resp_a1',
    });
    expect(second).toMatchObject({ conversationId: conv.id, previousResponseId: 'resp_a1' });
    expect(
      await h.callError('storeResponse', {
        userId: alice,
        response: responseObject('resp_a3', 'z'),
        previousResponseId: 'resp_nope',
      }),
    ).toMatchObject({ code: 'not_found', param: 'previousResponseId' });
    expect(
      await h.callError('storeResponse', {
        userId: alice,
        response: responseObject('resp_a4', 'z'),
        conversationId: 'conv_nope',
      }),
    ).toMatchObject({ code: 'not_found', param: 'conversationId' });
  });

  it('replaces a response stored again by its owner; another user cannot take the id', async () => {
    await h.call('storeResponse', { userId: alice, response: responseObject('resp_re', 'first') });
    await h.call('storeResponse', { userId: alice, response: responseObject('resp_re', 'second') });
    const got = await h.call('getResponse', { userId: alice, id: 'resp_re' });
    expect(JSON.stringify(got.response)).toContain('second');
    expect(
      await h.callError('storeResponse', { userId: bob, response: responseObject('resp_re', 'stolen') }),
    ).toMatchObject({ code: 'conflict', param: 'response.id' });
    expect(JSON.stringify((await h.call('getResponse', { userId: alice, id: 'resp_re' })).response)).toContain(
      'second',
    );
  });

  it('refuses a response without a resp_ id', async () => {
    expect(await h.callError('storeResponse', { userId: alice, response: { id: 'chatcmpl-1' } })).toMatchObject({
      code: 'invalid_request',
      param: 'response.id',
    });
    expect(await h.callError('storeResponse', { userId: alice, response: {} })).toMatchObject({
      code: 'invalid_request',
      param: 'response.id',
    });
  });

  it('pages input items (desc by default) with after/limit/order', async () => {
    await h.call('storeResponse', {
      userId: alice,
      response: responseObject('resp_items', 'x'),
      inputItems: inputItems(5),
    });
    const p1 = await h.call('listResponseInputItems', { userId: alice, id: 'resp_items', limit: 2 });
    expect(p1).toMatchObject({ object: 'list', has_more: true, first_id: 'msg_in4', last_id: 'msg_in3' });
    const p2 = await h.call('listResponseInputItems', { userId: alice, id: 'resp_items', limit: 2, after: 'msg_in3' });
    expect(p2.data.map((i) => i.id)).toEqual(['msg_in2', 'msg_in1']);
    const asc = await h.call('listResponseInputItems', {
      userId: alice,
      id: 'resp_items',
      order: 'asc',
      after: 'msg_in2',
    });
    expect(asc).toMatchObject({ has_more: false, first_id: 'msg_in3', last_id: 'msg_in4' });
    expect(asc.data[0]).toEqual(inputItems(5)[3]);
    expect(
      await h.callError('listResponseInputItems', { userId: alice, id: 'resp_items', after: 'msg_other' }),
    ).toMatchObject({ code: 'not_found', param: 'after' });
  });

  it('hides a response from other users and deletes it', async () => {
    await h.call('storeResponse', {
      userId: alice,
      response: responseObject('resp_del', 'x'),
      inputItems: inputItems(1),
    });
    for (const name of ['getResponse', 'deleteResponse', 'listResponseInputItems'] as const) {
      expect(await h.callError(name, { userId: bob, id: 'resp_del' })).toMatchObject({
        code: 'not_found',
        param: 'id',
      });
    }
    expect(await h.call('deleteResponse', { userId: alice, id: 'resp_del' })).toEqual({
      id: 'resp_del',
      object: 'response',
      deleted: true,
    });
    expect(await h.callError('getResponse', { userId: alice, id: 'resp_del' })).toMatchObject({ code: 'not_found' });
    expect(await h.callError('deleteResponse', { userId: alice, id: 'resp_del' })).toMatchObject({ code: 'not_found' });
  });

  it('deletes the responses of a conversation with it', async () => {
    const conv = await createConversation(h, alice, { items: [userMessage('hi')] });
    await h.call('storeResponse', {
      userId: alice,
      response: responseObject('resp_conv', 'x'),
      conversationId: conv.id,
    });
    await h.call('storeResponse', { userId: alice, response: responseObject('resp_free', 'x') });
    await h.call('deleteConversation', { userId: alice, id: conv.id });
    expect(await h.callError('getResponse', { userId: alice, id: 'resp_conv' })).toMatchObject({ code: 'not_found' });
    expect(await h.call('getResponse', { userId: alice, id: 'resp_free' })).toMatchObject({ conversationId: null });
  });
});
