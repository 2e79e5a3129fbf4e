import type { ItemView } from '@llmp/contracts';
import { SUMMARY_INSTRUCTION, buildSummaryMessages, transcriptLine } from './summary-prompt';

const user = (text: string): ItemView => ({
  type: 'message',
  id: 'msg_u',
  status: 'completed',
  role: 'user',
  content: [{ type: 'input_text', text }],
});
const assistant = (text: string): ItemView => ({
  type: 'message',
  id: 'msg_a',
  status: 'completed',
  role: 'assistant',
  content: [{ type: 'output_text', text, annotations: [] }],
});

describe('summary prompt', () => {
  it('writes one transcript line per item, whitespace collapsed', () => {
    expect(transcriptLine(user('a\n\n b'))).toBe('user: a b');
    expect(
      transcriptLine({
        type: 'function_call',
        id: 'fc',
        status: 'completed',
        call_id: 'c',
        name: 'f',
        arguments: '{}',
      }),
    ).toBe('function_call: f({})');
    expect(
      transcriptLine({ type: 'function_call_output', id: 'fco', status: 'completed', call_id: 'c', output: '1' }),
    ).toBe('function_output: 1');
  });

  it('asks for a first summary of the turns', () => {
    const [system, prompt] = buildSummaryMessages(null, [user('hi'), assistant('hello')], 1000);
    expect(system).toEqual({ role: 'system', content: SUMMARY_INSTRUCTION });
    expect(prompt).toEqual({ role: 'user', content: 'New turns:\nuser: hi\nassistant: hello\n\nWrite the summary.' });
  });

  it('rolls the previous summary forward', () => {
    const [, prompt] = buildSummaryMessages('They met.', [user('bye')], 1000);
    expect(prompt!.content).toBe('Summary so far:\nThey met.\n\nNew turns:\nuser: bye\n\nWrite the updated summary.');
  });

  it('keeps the newest turns within the budget and says older ones were left out', () => {
    const items = Array.from({ length: 10 }, (_, i) => user(`turn number ${i}`));
    const [, prompt] = buildSummaryMessages(null, items, 60);
    const transcript = prompt!.content.split('\n\n')[0]!;
    expect(transcript).toBe(
      'New turns:\n[earlier turns omitted]\nuser: turn number 7\nuser: turn number 8\nuser: turn number 9',
    );
  });

  it('cuts a single turn longer than the budget instead of dropping it', () => {
    const [, prompt] = buildSummaryMessages(null, [user('x'.repeat(500))], 100);
    expect(prompt!.content).toContain(`user: ${'x'.repeat(92)}…`);
    expect(prompt!.content).not.toContain('omitted');
  });

  it('gives the previous summary at most a third of the budget', () => {
    const [, prompt] = buildSummaryMessages('s'.repeat(1000), [user('new')], 300);
    expect(prompt!.content).toContain(`${'s'.repeat(99)}…`);
    expect(prompt!.content).toContain('user: new');
  });
});
