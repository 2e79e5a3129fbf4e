import { requestId } from './single-delivery-server-redis';

describe('requestId', () => {
  it('reads the id of a request packet', () => {
    expect(requestId(JSON.stringify({ pattern: 'auth.jwks.get.v1', data: {}, id: 'abc-123' }))).toBe('abc-123');
    expect(requestId(Buffer.from(JSON.stringify({ pattern: 'p', data: {}, id: 'x' })))).toBe('x');
  });

  it('has none for events and garbage', () => {
    expect(requestId(JSON.stringify({ pattern: 'p', data: {} }))).toBeNull();
    expect(requestId(JSON.stringify({ pattern: 'p', data: {}, id: 42 }))).toBeNull();
    expect(requestId('not json')).toBeNull();
    expect(requestId('null')).toBeNull();
  });
});
