import {
  RAG_RPC,
  RagRpcError,
  RagRpcName,
  RagRpcRequest,
  RagRpcResponses,
  VectorStoreFileObject,
} from '@llmp/contracts';
import { RpcServiceHarness, startRpcServiceHarness } from '@llmp/testing';

export interface RagHarness extends RpcServiceHarness<RagRpcName> {
  /** The app's vector store directory (LanceDB), removed with the harness. */
  vectorsDir: string;
  /** Calls a pattern the way the gateway does; resolves with the answer. */
  call<N extends RagRpcName>(name: N, data: RagRpcRequest<N>): Promise<RagRpcResponses[N]>;
  /** Calls a pattern that must fail; resolves with the error payload as the ClientProxy delivers it. */
  callError(name: RagRpcName, data: unknown): Promise<RagRpcError & Record<string, unknown>>;
}

/** The built rag app as a process (own database, own Redis, own queue prefix) and an RPC client for it. */
export async function startRag(env: Record<string, string> = {}): Promise<RagHarness> {
  const service = await startRpcServiceHarness({
    app: 'rag',
    patterns: RAG_RPC,
    dbPrefix: 'llmp_rag',
    queuePrefix: 'llmprag',
    env: { RAG_INGEST_SWEEP_INTERVAL_MS: '500', ...env },
    readyPath: '/health/ready',
    vectors: 'llmp-rag-vectors-',
  });
  return {
    ...service,
    vectorsDir: service.vectorsDir!,
    call: <N extends RagRpcName>(name: N, data: RagRpcRequest<N>) => service.send<RagRpcResponses[N]>(name, data),
    callError: async (name, data) => (await service.sendError(name, data)) as RagRpcError & Record<string, unknown>,
  };
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

/** Polls a vector store file until it leaves `in_progress` (as the SDK's createAndPoll does). */
export function settled(h: RagHarness, userId: string, vectorStoreId: string, fileId: string) {
  return waitFor<VectorStoreFileObject>(
    async () => {
      const f = await h.call('getVectorStoreFile', { userId, vectorStoreId, fileId });
      return f.status !== 'in_progress' && f;
    },
    60_000,
    `${fileId} in ${vectorStoreId} to be indexed`,
  );
}

export async function upload(h: RagHarness, userId: string, filename: string, content: string | Buffer) {
  const bytes = typeof content === 'string' ? Buffer.from(content) : content;
  return h.call('createFile', { userId, filename, purpose: 'assistants', base64: bytes.toString('base64') });
}
