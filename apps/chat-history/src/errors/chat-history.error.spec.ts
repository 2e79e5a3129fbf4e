import { ChatHistoryErrorCode } from '@llmp/contracts';
import { ChatHistoryError } from './chat-history.error';

describe('ChatHistoryError', () => {
  it('is sent as {code, message, param}', () => {
    expect(ChatHistoryError.notFound('conversation').toPayload()).toEqual({
      code: 'not_found',
      message: 'No such conversation.',
      param: 'id',
    });
    expect(new ChatHistoryError(ChatHistoryErrorCode.Conflict, 'taken', 'response.id').toPayload()).toEqual({
      code: 'conflict',
      message: 'taken',
      param: 'response.id',
    });
  });
});
