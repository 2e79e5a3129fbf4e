import { CHAT_HISTORY_RPC } from './chat-history.rpc';
import { CreateConversationBodySchema, HistoryListQuerySchema, ItemInputSchema } from './conversations.schemas';

const pathOf = (r: { success: boolean; error?: { issues: { path: (string | number)[] }[] } }) =>
  r.success ? null : r.error!.issues[0]!.path.join('.');

describe('chat-history contract schemas', () => {
  it('accepts a message without type as OpenAI’s easy input message', () => {
    expect(ItemInputSchema.parse({ role: 'user', content: 'hi' })).toEqual({
      type: 'message',
      role: 'user',
      content: 'hi',
    });
  });

  it('names the field of an unknown role, type or content part', () => {
    const req = (items: unknown[]) =>
      CHAT_HISTORY_RPC.createItems.request.safeParse({
        userId: '00000000-0000-4000-8000-000000000000',
        conversationId: 'conv_x',
        items,
      });
    expect(pathOf(req([{ type: 'message', role: 'robot', content: 'x' }]))).toBe('items.0.role');
    expect(pathOf(req([{ type: 'web_search_call' }]))).toBe('items.0.type');
    expect(pathOf(req([{ content: 'no role, no type' }]))).toBe('items.0.type');
    expect(pathOf(req([{ role: 'user', content: [{ type: 'input_audio' }] }]))).toBe('items.0.content');
  });

  it('limits metadata to 16 pairs with short keys', () => {
    const many = Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v']));
    expect(CreateConversationBodySchema.safeParse({ metadata: many }).success).toBe(false);
    expect(CreateConversationBodySchema.safeParse({ metadata: { ['k'.repeat(65)]: 'v' } }).success).toBe(false);
    expect(CreateConversationBodySchema.safeParse({ metadata: { k: 'v'.repeat(512) } }).success).toBe(true);
  });

  it('parses list queries from query strings with OpenAI’s defaults', () => {
    expect(HistoryListQuerySchema.parse({})).toEqual({ limit: 20, order: 'desc' });
    expect(HistoryListQuerySchema.parse({ limit: '5', order: 'asc', after: 'msg_1' })).toEqual({
      limit: 5,
      order: 'asc',
      after: 'msg_1',
    });
    expect(HistoryListQuerySchema.safeParse({ limit: '101' }).success).toBe(false);
  });

  it('keeps every pattern name in the chat-history.<noun>.<verb>.v1 form', () => {
    for (const { pattern } of Object.values(CHAT_HISTORY_RPC)) {
      expect(pattern).toMatch(/^chat-history\.[a-z-]+\.[a-z]+\.v1$/);
    }
  });
});
