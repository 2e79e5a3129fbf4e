import type { ConversationView, ItemView } from '@llmp/contracts';
import { renderExport, renderMarkdown } from './conversation-export';

const conversation: ConversationView = {
  id: 'conv_1',
  object: 'conversation',
  created_at: 1_700_000_000,
  metadata: { project: 'x' },
  title: 'My\nchat',
  system_prompt: 'Be kind.',
  ttl_seconds: null,
  expires_at: null,
};
const items: ItemView[] = [
  { type: 'message', id: 'msg_1', status: 'completed', role: 'user', content: [{ type: 'input_text', text: 'Hi' }] },
  { type: 'function_call', id: 'fc_1', status: 'completed', call_id: 'c1', name: 'f', arguments: '{"a":1}' },
  { type: 'function_call_output', id: 'fco_1', status: 'completed', call_id: 'c1', output: 'has ```` fence' },
  {
    type: 'message',
    id: 'msg_2',
    status: 'completed',
    role: 'assistant',
    content: [{ type: 'output_text', text: 'Hello', annotations: [] }],
  },
];

describe('conversation export', () => {
  it('renders JSON with the conversation and its items', () => {
    const out = renderExport(conversation, items, 'json');
    expect(out.content_type).toBe('application/json');
    expect(out.filename).toBe('conv_1.json');
    expect(JSON.parse(out.body)).toEqual({ conversation, items });
  });

  it('renders Markdown: title on one line, metadata, system prompt, turns in order', () => {
    expect(renderMarkdown(conversation, items)).toBe(
      [
        '# My chat',
        '',
        '- id: `conv_1`',
        '- created: 2023-11-14T22:13:20.000Z',
        '- project: x',
        '',
        '## System prompt',
        '',
        'Be kind.',
        '',
        '## user',
        '',
        'Hi',
        '',
        '## function call `f` (c1)',
        '',
        '```json',
        '{"a":1}',
        '```',
        '',
        '## function output (c1)',
        '',
        '`````',
        'has ```` fence',
        '`````',
        '',
        '## assistant',
        '',
        'Hello',
        '',
      ].join('\n'),
    );
  });

  it('names an untitled conversation by its id', () => {
    const out = renderExport({ ...conversation, title: null, system_prompt: null, metadata: {} }, [], 'markdown');
    expect(out.filename).toBe('conv_1.md');
    expect(out.body.startsWith('# Conversation conv_1\n')).toBe(true);
    expect(out.body).not.toContain('System prompt');
  });
});
