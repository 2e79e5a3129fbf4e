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
        inputMaxChars: 3000,
        timeoutMs: 120_000,
      },
      purgeIntervalMs: 60_000,
      workerConcurrency: 2,
    });
  });

  it('names the variable of a bad value', () => {
    expect(() => readChatHistoryEnv({ CHAT_SUMMARY_TRIGGER_ITEMS: 'many' })).toThrow(/CHAT_SUMMARY_TRIGGER_ITEMS/);
    expect(() => readChatHistoryEnv({ CHAT_PURGE_INTERVAL_S: '0' })).toThrow(/CHAT_PURGE_INTERVAL_S/);
    expect(() => readChatHistoryEnv({ CHAT_SYSTEM_PROMPT_MAX_CHARS: '0' })).toThrow(/CHAT_SYSTEM_PROMPT_MAX_CHARS/);
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
