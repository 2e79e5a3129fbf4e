import { ConfigError } from '@llmp/platform';
import { readChatHistoryEnv } from './chat-history.config';

describe('chat-history configuration', () => {
  it('has the documented defaults', () => {
    expect(readChatHistoryEnv({})).toEqual({
      port: 8002,
      systemPromptMaxChars: 8000,
      summary: {
        triggerItems: 40,
        keepItems: 20,
        model: 'stories260k',
        maxTokens: 200,
        inputMaxChars: 1500,
        timeoutMs: 120_000,
      },
      purgeIntervalMs: 60_000,
      workerConcurrency: 2,
      memory: {
        enabled: true,
        model: 'potion-base-2m',
        recallK: 4,
        recallMinScore: 0.35,
        recallTimeoutMs: 2000,
        indexTimeoutMs: 60_000,
        indexMaxWaitMs: 3_600_000,
      },
      outbox: { intervalMs: 5000, recheckMs: 300_000 },
    });
  });

  it('reads the memory settings', () => {
    const memory = readChatHistoryEnv({
      CHAT_MEMORY_ENABLED: 'false',
      CHAT_MEMORY_EMBEDDING_MODEL: 'glove-sif-100d',
      CHAT_RECALL_K: '0',
      CHAT_RECALL_MIN_SCORE: '0.5',
    }).memory;
    expect(memory).toMatchObject({ enabled: false, model: 'glove-sif-100d', recallK: 0, recallMinScore: 0.5 });
    expect(() => readChatHistoryEnv({ CHAT_RECALL_MIN_SCORE: '2' })).toThrow(/CHAT_RECALL_MIN_SCORE/);
    expect(() => readChatHistoryEnv({ CHAT_MEMORY_ENABLED: 'maybe' })).toThrow(/CHAT_MEMORY_ENABLED/);
  });

  it('names the variable of a bad value', () => {
    expect(() => readChatHistoryEnv({ CHAT_SUMMARY_TRIGGER_ITEMS: 'many' })).toThrow(/CHAT_SUMMARY_TRIGGER_ITEMS/);
    expect(() => readChatHistoryEnv({ CHAT_PURGE_INTERVAL_S: '0' })).toThrow(/CHAT_PURGE_INTERVAL_S/);
    expect(() => readChatHistoryEnv({ CHAT_SYSTEM_PROMPT_MAX_CHARS: '0' })).toThrow(/CHAT_SYSTEM_PROMPT_MAX_CHARS/);
    expect(() => readChatHistoryEnv({ CHAT_JOB_OUTBOX_INTERVAL_MS: '10' })).toThrow(/CHAT_JOB_OUTBOX_INTERVAL_MS/);
    expect(() => readChatHistoryEnv({ CHAT_JOB_OUTBOX_RECHECK_S: '0' })).toThrow(/CHAT_JOB_OUTBOX_RECHECK_S/);
  });

  it('refuses keeping as many items verbatim as the trigger, unless summarization is off', () => {
    expect(() => readChatHistoryEnv({ CHAT_SUMMARY_TRIGGER_ITEMS: '10', CHAT_VERBATIM_KEEP_ITEMS: '10' })).toThrow(
      ConfigError,
    );
    expect(
      readChatHistoryEnv({ CHAT_SUMMARY_TRIGGER_ITEMS: '0', CHAT_VERBATIM_KEEP_ITEMS: '20' }).summary.triggerItems,
    ).toBe(0);
  });
});
