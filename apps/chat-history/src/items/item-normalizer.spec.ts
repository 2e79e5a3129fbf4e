import { ItemInputSchema } from '@llmp/contracts';
import { itemText, normalizeItem, toItemView } from './item-normalizer';

const view = (input: unknown) => {
  const n = normalizeItem(ItemInputSchema.parse(input));
  return toItemView({ id: `${n.idPrefix}1`, type: n.type, role: n.role, body: n.body });
};

describe('item normalisation', () => {
  it('stores user, system and developer content as input_text parts', () => {
    for (const role of ['user', 'system', 'developer'] as const) {
      expect(view({ type: 'message', role, content: 'hi' })).toEqual({
        type: 'message',
        id: 'msg_1',
        status: 'completed',
        role,
        content: [{ type: 'input_text', text: 'hi' }],
      });
    }
  });

  it('stores assistant content as output_text with annotations, whatever part type was sent', () => {
    expect(
      view({
        role: 'assistant',
        content: [
          { type: 'input_text', text: 'a' },
          { type: 'output_text', text: 'b', annotations: [{ type: 'url_citation' }] },
        ],
      }),
    ).toEqual({
      type: 'message',
      id: 'msg_1',
      status: 'completed',
      role: 'assistant',
      content: [
        { type: 'output_text', text: 'a', annotations: [] },
        { type: 'output_text', text: 'b', annotations: [{ type: 'url_citation' }] },
      ],
    });
  });

  it('turns user output_text parts into input_text', () => {
    expect(view({ role: 'user', content: [{ type: 'output_text', text: 'x' }] })).toMatchObject({
      content: [{ type: 'input_text', text: 'x' }],
    });
  });

  it('keeps function calls and outputs field for field, with their own id prefixes', () => {
    expect(view({ type: 'function_call', call_id: 'c1', name: 'f', arguments: '{}' })).toEqual({
      type: 'function_call',
      id: 'fc_1',
      status: 'completed',
      call_id: 'c1',
      name: 'f',
      arguments: '{}',
    });
    expect(view({ type: 'function_call_output', call_id: 'c1', output: 'ok' })).toEqual({
      type: 'function_call_output',
      id: 'fco_1',
      status: 'completed',
      call_id: 'c1',
      output: 'ok',
    });
  });

  it('gives the plain text of any item', () => {
    expect(
      itemText(
        view({
          role: 'user',
          content: [
            { type: 'input_text', text: 'a' },
            { type: 'input_text', text: 'b' },
          ],
        }),
      ),
    ).toBe('a\nb');
    expect(itemText(view({ type: 'function_call', call_id: 'c', name: 'f', arguments: '{"x":1}' }))).toBe('f({"x":1})');
    expect(itemText(view({ type: 'function_call_output', call_id: 'c', output: 'out' }))).toBe('out');
  });
});
