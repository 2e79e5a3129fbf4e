import { RagErrorCode } from '@llmp/contracts';
import { ApiErrorCode } from '@llmp/platform';
import { apiErrorFromRag } from './rag.client';

describe('apiErrorFromRag', () => {
  it('maps each rag code to its HTTP status, keeping the param', () => {
    const cases: [RagErrorCode, number][] = [
      [RagErrorCode.NotFound, 404],
      [RagErrorCode.InvalidRequest, 400],
      [RagErrorCode.Conflict, 409],
      [RagErrorCode.PayloadTooLarge, 413],
    ];
    for (const [code, status] of cases) {
      const err = apiErrorFromRag({ code, message: 'No such file', param: 'file_id' });
      expect(err?.status).toBe(status);
      expect(err?.param).toBe('file_id');
      expect(err?.message).toBe('No such file');
    }
  });

  it('answers an internal failure with a 500 naming the errorId, not its message', () => {
    const err = apiErrorFromRag({ code: 'internal', message: 'select failed: secret detail', errorId: 'e-123' });
    expect(err?.code).toBe(ApiErrorCode.Internal);
    expect(err?.status).toBe(500);
    expect(err?.message).toContain('e-123');
    expect(err?.message).not.toContain('secret');
  });

  it('leaves a payload that is not a rag error to the caller (a 503)', () => {
    expect(apiErrorFromRag(new Error('boom'))).toBeNull();
    expect(apiErrorFromRag({ code: 'nope', message: 'x' })).toBeNull();
  });
});
