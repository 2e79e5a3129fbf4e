import { registerAs } from '@nestjs/config';
import { z } from 'zod';
import { MAX_SYSTEM_PROMPT_CHARS } from '@llmp/contracts';
import { ConfigError, envBoolean, envPort, parseEnv } from '@llmp/platform';

const count = (max: number) => z.coerce.number().int().min(0).max(max);

export function readChatHistoryEnv(env: NodeJS.ProcessEnv = process.env) {
  const cfg = parseEnv(
    {
      PORT: envPort.default(8002),
      /** Longest per-chat system prompt accepted (characters). */
      CHAT_SYSTEM_PROMPT_MAX_CHARS: z.coerce.number().int().min(1).max(MAX_SYSTEM_PROMPT_CHARS).default(8000),
      /** Summarize when more than this many items follow the last summary; 0 turns summarization off. */
      CHAT_SUMMARY_TRIGGER_ITEMS: count(100_000).default(40),
      /** The newest items a summary leaves out (they stay verbatim in the context). */
      CHAT_VERBATIM_KEEP_ITEMS: count(100_000).default(20),
      /** Model id the summarizer asks through its inference queue (`inference-<model>`). */
      CHAT_SUMMARY_MODEL: z.string().min(1).default('stories260k'),
      CHAT_SUMMARY_MAX_TOKENS: z.coerce.number().int().min(1).max(32_768).default(200),
      /** The transcript handed to the model is cut to this many characters (newest kept). */
      CHAT_SUMMARY_INPUT_MAX_CHARS: z.coerce.number().int().min(100).max(10_000_000).default(1500),
      /** Longest wait for the model's answer. */
      CHAT_SUMMARY_TIMEOUT_MS: z.coerce.number().int().min(1000).default(120_000),
      /** How often expired conversations are purged (seconds). */
      CHAT_PURGE_INTERVAL_S: z.coerce.number().int().min(1).max(86_400).default(60),
      /** Jobs of the chat-history queue run at once per replica. */
      CHAT_WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(2),
      /** Embed every stored message into the memory index and recall by meaning (needs an embedding worker). */
      CHAT_MEMORY_ENABLED: envBoolean.default('true'),
      /** Embedding model id asked through its queue (`embedding-<model>`) for messages and recall queries. */
      CHAT_MEMORY_EMBEDDING_MODEL: z.string().min(1).default('potion-base-2m'),
      /** Memories recalled per context at most; 0 recalls nothing. */
      CHAT_RECALL_K: count(50).default(4),
      /** Least cosine similarity between the new input and a recalled message. */
      CHAT_RECALL_MIN_SCORE: z.coerce.number().min(-1).max(1).default(0.35),
      /** Longest wait for the query's embedding; past it the context has no memories (the request goes on). */
      CHAT_RECALL_TIMEOUT_MS: z.coerce.number().int().min(1).max(60_000).default(2000),
      /** Longest wait for an index job's embeddings once a worker serves the model (the job is then retried). */
      CHAT_MEMORY_INDEX_TIMEOUT_MS: z.coerce.number().int().min(1000).default(60_000),
      /** How long an index job waits for an embedding worker to appear before it fails for good (seconds). */
      CHAT_MEMORY_INDEX_MAX_WAIT_S: z.coerce.number().int().min(1).default(3600),
      /**
       * How often the job outbox relay enqueues the jobs an append committed but could not enqueue (Redis down or
       * full, the process killed after the commit); also how long an append's own enqueue has before the relay
       * takes over. An idle tick is one indexed query on a table that holds only unfinished jobs.
       */
      CHAT_JOB_OUTBOX_INTERVAL_MS: z.coerce.number().int().min(100).max(300_000).default(5000),
      /** How long an enqueued job may stay unfinished before the relay checks that Redis still has it (seconds). */
      CHAT_JOB_OUTBOX_RECHECK_S: z.coerce.number().int().min(1).max(86_400).default(300),
    },
    env,
    'chat-history',
  );
  if (cfg.CHAT_SUMMARY_TRIGGER_ITEMS > 0 && cfg.CHAT_VERBATIM_KEEP_ITEMS >= cfg.CHAT_SUMMARY_TRIGGER_ITEMS) {
    throw new ConfigError(
      'Invalid chat-history configuration:\n  CHAT_VERBATIM_KEEP_ITEMS: must be less than CHAT_SUMMARY_TRIGGER_ITEMS',
    );
  }
  return {
    port: cfg.PORT,
    systemPromptMaxChars: cfg.CHAT_SYSTEM_PROMPT_MAX_CHARS,
    summary: {
      triggerItems: cfg.CHAT_SUMMARY_TRIGGER_ITEMS,
      keepItems: cfg.CHAT_VERBATIM_KEEP_ITEMS,
      model: cfg.CHAT_SUMMARY_MODEL,
      maxTokens: cfg.CHAT_SUMMARY_MAX_TOKENS,
      inputMaxChars: cfg.CHAT_SUMMARY_INPUT_MAX_CHARS,
      timeoutMs: cfg.CHAT_SUMMARY_TIMEOUT_MS,
    },
    purgeIntervalMs: cfg.CHAT_PURGE_INTERVAL_S * 1000,
    workerConcurrency: cfg.CHAT_WORKER_CONCURRENCY,
    memory: {
      enabled: cfg.CHAT_MEMORY_ENABLED,
      model: cfg.CHAT_MEMORY_EMBEDDING_MODEL,
      recallK: cfg.CHAT_RECALL_K,
      recallMinScore: cfg.CHAT_RECALL_MIN_SCORE,
      recallTimeoutMs: cfg.CHAT_RECALL_TIMEOUT_MS,
      indexTimeoutMs: cfg.CHAT_MEMORY_INDEX_TIMEOUT_MS,
      indexMaxWaitMs: cfg.CHAT_MEMORY_INDEX_MAX_WAIT_S * 1000,
    },
    outbox: {
      intervalMs: cfg.CHAT_JOB_OUTBOX_INTERVAL_MS,
      recheckMs: cfg.CHAT_JOB_OUTBOX_RECHECK_S * 1000,
    },
  };
}

export const chatHistoryConfig = registerAs('chatHistory', () => readChatHistoryEnv());
export type ChatHistoryConfig = ReturnType<typeof readChatHistoryEnv>;
export type SummarySettings = ChatHistoryConfig['summary'];
export type MemorySettings = ChatHistoryConfig['memory'];
