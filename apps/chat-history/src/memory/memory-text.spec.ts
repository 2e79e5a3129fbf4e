import { memoryText } from './memory-text';

describe('memoryText', () => {
  it('is the text of a message, parts joined', () => {
    const body = {
      content: [
        { type: 'input_text' as const, text: 'My cat ' },
        { type: 'input_text' as const, text: 'is Biscuit' },
      ],
    };
    expect(memoryText({ id: 'msg_1', type: 'message', role: 'user', body })).toBe('My cat \nis Biscuit');
  });

  it('is nothing for blank messages and for function calls and outputs', () => {
    const blank = { content: [{ type: 'output_text' as const, text: '  ', annotations: [] }] };
    expect(memoryText({ id: 'msg_2', type: 'message', role: 'assistant', body: blank })).toBeNull();
    const call = { call_id: 'c', name: 'f', arguments: '{}' };
    expect(memoryText({ id: 'fc_1', type: 'function_call', role: null, body: call })).toBeNull();
    expect(
      memoryText({ id: 'fco_1', type: 'function_call_output', role: null, body: { call_id: 'c', output: 'x' } }),
    ).toBeNull();
  });
});
