import { randomUUID } from 'node:crypto';
import {
  CHAT_HISTORY_RPC,
  ChatHistoryRpcError,
  ChatHistoryRpcName,
  ChatHistoryRpcRequest,
  ChatHistoryRpcResponses,
  ConversationView,
  ItemInput,
} from '@llmp/contracts';
import { RpcServiceHarness, startRpcServiceHarness } from '@llmp/testing';

export interface ChatHistoryHarness extends RpcServiceHarness<ChatHistoryRpcName> {
  /** The app's vector store directory (LanceDB), removed with the harness. */
  vectorsDir: string;
  /** Calls a pattern the way the gateway does; resolves with the answer. */
  call<N extends ChatHistoryRpcName>(name: N, data: ChatHistoryRpcRequest<N>): Promise<ChatHistoryRpcResponses[N]>;
  /** Calls a pattern that must fail; resolves with the error payload as the ClientProxy delivers it. */
  callError(name: ChatHistoryRpcName, data: unknown): Promise<ChatHistoryRpcError & Record<string, unknown>>;
}

/** The built chat-history app as a process (own database, own Redis, own queue prefix) and an RPC client for it. */
export async function startChatHistory(env: Record<string, string> = {}): Promise<ChatHistoryHarness> {
  const service = await startRpcServiceHarness({
    app: 'chat-history',
    patterns: CHAT_HISTORY_RPC,
    dbPrefix: 'llmp_chat_history',
    queuePrefix: 'llmpch',
    env: env,
    readyPath: '/health/ready',
    vectors: 'llmp-ch-vectors-',
  });
  return {
    ...service,
    vectorsDir: service.vectorsDir!,
    call: <N extends ChatHistoryRpcName>(name: N, data: ChatHistoryRpcRequest<N>) =>
      service.send<ChatHistoryRpcResponses[N]>(name, data),
    callError: async (name, data) =>
      (await service.sendError(name, data)) as ChatHistoryRpcError & Record<string, unknown>,
  };
}

/** A fresh user id (the gateway passes the authenticated user's uuid). */
export function newUserId(): string {
  return randomUUID();
}

export function userMessage(text: string): ItemInput {
  return { type: 'message', role: 'user', content: text };
}

export function assistantMessage(text: string): ItemInput {
  return { type: 'message', role: 'assistant', content: [{ type: 'output_text', text }] };
}

export async function createConversation(
  h: ChatHistoryHarness,
  userId: string,
  body: Omit<ChatHistoryRpcRequest<'createConversation'>, 'userId'> = {},
): Promise<ConversationView> {
  return h.call('createConversation', { userId, ...body });
}

export async function waitFor<T>(
  probe: () => Promise<T | null | undefined | false>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
