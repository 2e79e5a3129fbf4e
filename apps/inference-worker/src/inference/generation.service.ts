import { Injectable } from '@nestjs/common';
import { randomInt } from 'node:crypto';
import type {
  ChatModelFunctions,
  LlamaContextSequence,
  LlamaGrammar,
  LLamaChatGenerateResponseOptions,
  Token,
  TokenBias,
} from 'node-llama-cpp';
import {
  ChatCompleteV1Payload,
  GenerationResult,
  InferenceErrorCode,
  ResponseFormat,
  SamplingParams,
  TextCompleteV1Payload,
} from '@llmp/contracts';
import type { LoadedModel } from '../models/loaded-model';
import { GenerationError } from './generation-error';
import type { EngineRequest } from '../engines/llama-server-engine';
import { LOGIT_BAN, resolveLogitBias, toTokenBias } from './logit-bias';
import { GenerationHooks, OutputCollector, TextContext } from './output-collector';
import { PromptTooLongError, fitPrompt } from './prompt-fitter';
import { tapTokenDistributions } from './token-distribution-tap';
import { MAX_PARALLEL_CALLS, ToolCallStream, forcedCallWrapper, toChatHistory, toFunctions } from './tool-calls';
import { SchemaValidator, toGrammarSchema } from '@llmp/platform';

export type { GenerationHooks } from './output-collector';

/** Response-format grammars kept compiled (oldest dropped first). */
const GRAMMAR_CACHE_LIMIT = 64;

/** Prompt tokens a completion's first text is detokenized after (SentencePiece needs one; a few are plenty). */
const DETOKENIZER_CONTEXT = 8;

/** Runs chat and text completions on a loaded model, one context sequence per request. */
@Injectable()
export class GenerationService {
  private readonly validator = new SchemaValidator();
  /** Compiled response-format grammars by model and schema: a client sends the same format with every request. */
  private readonly grammars = new Map<string, Promise<LlamaGrammar>>();

  async chat(model: LoadedModel, payload: ChatCompleteV1Payload, hooks: GenerationHooks): Promise<GenerationResult> {
    this.requireCapability(model, 'chat');
    this.guardCharset(model, payload.sampling.stop.join(''), 'stop');
    const tokenBias = this.biases(model, payload.sampling);
    const functions = toFunctions(payload.tools);
    if (functions && payload.responseFormat) {
      throw new GenerationError(
        InferenceErrorCode.InvalidRequest,
        'A reply cannot be constrained to both function calls and a response format.',
        'response_format',
      );
    }
    const { history, promptText, tokens, promptTokens, context, parts } = this.buildChatPrompt(
      model,
      payload,
      functions,
    );
    const maxTokens = this.resolveMaxTokens(model, promptTokens, payload.sampling, 'messages');
    const grammar = payload.responseFormat ? await this.grammarFor(model, payload.responseFormat) : undefined;
    hooks.onStart(promptTokens, context, payload.dryRun ? { prompt: promptText, parts } : undefined);
    if (payload.dryRun) return { text: '', finishReason: 'stop', usage: { promptTokens, completionTokens: 0 } };

    if (model.engine && !functions && !payload.sampling.logprobs) {
      const out = new OutputCollector(payload.sampling.stop, hooks);
      // As node-llama-cpp does with a grammar: its stop triggers end the text, trailing whitespace is trimmed.
      const constrained = grammar
        ? { gbnf: grammar.grammar, stops: grammar.stopGenerationTriggers.map((t) => t.toString()) }
        : undefined;
      const stopReason = await model.engine.generate(
        engineRequest(payload.sampling, tokens, maxTokens, out.signal, tokenBias, constrained),
        out,
      );
      const raw = out.result(stopReason, promptTokens, '');
      const result = grammar?.trimWhitespaceSuffix ? { ...raw, text: raw.text.trimEnd() } : raw;
      if (payload.responseFormat && result.finishReason === 'stop')
        this.checkStructured(payload.responseFormat, result);
      return result;
    }

    return this.withSequence(model, async (sequence) => {
      const chat = new model.lib.LlamaChat({
        contextSequence: sequence,
        chatWrapper:
          functions && payload.toolChoice === 'required' ? forcedCallWrapper(model.chatWrapper) : model.chatWrapper,
        autoDisposeSequence: false,
      });
      const out = this.collector(model, sequence, payload.sampling, hooks);
      const calls = new ToolCallStream(payload.tools ?? [], this.validator, hooks.onToolCall);
      try {
        const res = await chat.generateResponse(history, {
          ...samplingOptions(payload.sampling, maxTokens, out.signal, toTokenBias(model.lib, model.model, tokenBias)),
          onToken: out.onToken,
          onTextChunk: out.onText,
          ...(functions
            ? {
                functions,
                documentFunctionParams: true,
                maxParallelFunctionCalls: payload.parallelToolCalls ? MAX_PARALLEL_CALLS : 1,
                onFunctionCallParamsChunk: calls.onChunk,
              }
            : grammar
              ? { grammar }
              : {}),
        });
        const result = out.result(res.metadata.stopReason, promptTokens, '');
        if (res.functionCalls?.length && result.finishReason !== 'cancelled') {
          // node-llama-cpp reports no tokens through onToken while it generates calls: count their text.
          const callTokens = res.functionCalls.reduce(
            (n, c) => n + model.lib.LlamaText.fromJSON(c.raw).tokenize(model.model.tokenizer).length,
            0,
          );
          return {
            ...result,
            finishReason: 'tool_calls',
            toolCalls: calls.finish(res.functionCalls),
            usage: { ...result.usage, completionTokens: result.usage.completionTokens + callTokens },
          };
        }
        if (payload.responseFormat && result.finishReason === 'stop')
          this.checkStructured(payload.responseFormat, result);
        return result;
      } finally {
        chat.dispose({ disposeSequence: false });
      }
    });
  }

  async complete(
    model: LoadedModel,
    payload: TextCompleteV1Payload,
    hooks: GenerationHooks,
  ): Promise<GenerationResult> {
    this.requireCapability(model, 'completion');
    this.guardCharset(model, payload.prompt, 'prompt');
    this.guardCharset(model, payload.sampling.stop.join(''), 'stop');
    const tokenBias = this.biases(model, payload.sampling);
    const bos = model.model.tokens.bos !== null && model.model.tokens.shouldPrependBosToken ? 1 : 0;
    const prompt = model.model.tokenize(payload.prompt);
    const promptTokens = prompt.length + bos;
    const maxTokens = this.resolveMaxTokens(model, promptTokens, payload.sampling, 'prompt');
    hooks.onStart(promptTokens);
    if (payload.echo) hooks.onText?.(payload.prompt);
    // The completion continues the prompt: its first token reads as it does after it (its leading space kept).
    const context: TextContext = {
      tokens: prompt.slice(-DETOKENIZER_CONTEXT),
      detokenize: (tokens, previous) =>
        model.model.detokenize(tokens as readonly Token[], false, previous as readonly Token[]),
    };
    const prefix = payload.echo ? payload.prompt : '';

    if (model.engine && !payload.sampling.logprobs) {
      const out = new OutputCollector(payload.sampling.stop, hooks, undefined, context);
      const tokens = bos ? [model.model.tokens.bos!, ...prompt] : prompt;
      const stopReason = await model.engine.generate(
        engineRequest(payload.sampling, tokens, maxTokens, out.signal, tokenBias),
        out,
      );
      return out.result(stopReason, promptTokens, prefix);
    }

    return this.withSequence(model, async (sequence) => {
      const completion = new model.lib.LlamaCompletion({ contextSequence: sequence, autoDisposeSequence: false });
      const out = this.collector(model, sequence, payload.sampling, hooks, context);
      try {
        const res = await completion.generateCompletionWithMeta(payload.prompt, {
          ...samplingOptions(payload.sampling, maxTokens, out.signal, toTokenBias(model.lib, model.model, tokenBias)),
          onToken: out.onToken,
          onTextChunk: out.onText,
        });
        return out.result(res.metadata.stopReason, promptTokens, prefix);
      } finally {
        completion.dispose({ disposeSequence: false });
      }
    });
  }

  /**
   * Fits the messages to the context with the model's tokenizer and renders them with its chat template. A
   * stateful prompt keeps room for the reply (max_tokens, else the model's default) and drops history to fit;
   * a stateless one is sent as given (resolveMaxTokens then checks it).
   */
  private buildChatPrompt(model: LoadedModel, payload: ChatCompleteV1Payload, functions?: ChatModelFunctions) {
    const stateful = payload.messages.some((m) => m.section !== undefined && m.section !== 'input');
    const reply = stateful ? (payload.sampling.maxTokens ?? model.definition.default_max_tokens) : 1;
    let limit = model.contextSize - Math.min(reply, model.contextSize - 1);
    const countTokens = (text: string) => model.model.tokenize(text).length;
    for (let attempt = 0; ; attempt++) {
      let fit;
      try {
        fit = fitPrompt(payload.messages, {
          limit,
          budgets: payload.sectionBudgets,
          countTokens,
          perMessageOverhead: model.messageOverhead,
          withParts: payload.dryRun,
        });
      } catch (err) {
        if (!(err instanceof PromptTooLongError)) throw err;
        throw new GenerationError(
          InferenceErrorCode.ContextLengthExceeded,
          `This model's maximum context length is ${model.contextSize} tokens. However, your messages need about ${err.tokens} tokens${stateful ? ` plus ${reply} for the reply` : ''}. Please reduce the length of the messages.`,
          'messages',
        );
      }
      const history = toChatHistory(fit.messages);
      const rendered = model.chatWrapper.generateContextState({
        chatHistory: history,
        availableFunctions: functions,
        documentFunctionParams: functions ? true : undefined,
      }).contextText;
      const promptText = rendered.toString();
      this.guardCharset(model, promptText, 'messages');
      const tokens = rendered.tokenize(model.model.tokenizer);
      const promptTokens = tokens.length;
      // The estimate left out some template tokens: shrink the limit by the excess and fit again.
      if (stateful && promptTokens > limit && attempt < 3) {
        limit -= promptTokens - limit;
        continue;
      }
      return {
        history,
        promptText,
        tokens,
        promptTokens,
        parts: fit.parts,
        context: {
          ...fit.context,
          tokens: { ...fit.context.tokens, template: Math.max(0, promptTokens - fit.estimatedTokens) },
        },
      };
    }
  }

  /** The grammar a response format decodes under (the gateway already checked the schema is expressible). */
  private grammarFor(model: LoadedModel, format: ResponseFormat): Promise<LlamaGrammar> {
    const key = `${model.id}\n${JSON.stringify(format)}`;
    let grammar = this.grammars.get(key);
    if (!grammar) {
      const llama = model.model.llama;
      grammar =
        format.type === 'json_object'
          ? llama.getGrammarFor('json')
          : llama.createGrammarForJsonSchema(toGrammarSchema(format.schema) as never);
      grammar.catch(() => this.grammars.delete(key));
      if (this.grammars.size >= GRAMMAR_CACHE_LIMIT) this.grammars.delete(this.grammars.keys().next().value!);
      this.grammars.set(key, grammar);
    }
    return grammar;
  }

  /** The grammar should make this impossible; a reply that still fails is the worker's fault, never passed on. */
  private checkStructured(format: ResponseFormat, result: GenerationResult): void {
    let value: unknown;
    try {
      value = JSON.parse(result.text);
    } catch {
      throw new GenerationError(InferenceErrorCode.WorkerFailed, 'The model produced invalid JSON', 'response_format');
    }
    const problem =
      format.type === 'json_schema'
        ? this.validator.valueError(format.schema, value)
        : typeof value === 'object' && value !== null && !Array.isArray(value)
          ? null
          : 'the reply is not a JSON object';
    if (problem) {
      throw new GenerationError(
        InferenceErrorCode.WorkerFailed,
        `The model's reply does not match the response format (${problem})`,
        'response_format',
      );
    }
  }

  /** Checked before the prompt is accepted, so a bad token id is a 400 even for a stream. */
  private biases(model: LoadedModel, sampling: SamplingParams): Map<number, number> {
    return resolveLogitBias(sampling.logitBias, model.id, model.vocabulary?.size ?? null);
  }

  /** With logprobs, the sequence's sampled distributions are tapped into the collector. */
  private collector(
    model: LoadedModel,
    sequence: LlamaContextSequence,
    sampling: SamplingParams,
    hooks: GenerationHooks,
    context?: TextContext,
  ): OutputCollector {
    if (!sampling.logprobs) return new OutputCollector(sampling.stop, hooks, undefined, context);
    const out = new OutputCollector(sampling.stop, hooks, model.tokenTexts, context);
    tapTokenDistributions(sequence, sampling.logprobs.top, out.onSampled);
    return out;
  }

  private async withSequence<T>(model: LoadedModel, fn: (seq: LlamaContextSequence) => Promise<T>): Promise<T> {
    const sequence = await model.sequences.acquire();
    try {
      return await fn(sequence);
    } finally {
      model.sequences.release(sequence);
    }
  }

  private requireCapability(model: LoadedModel, capability: 'chat' | 'completion'): void {
    if (!model.definition.capabilities.includes(capability)) {
      throw new GenerationError(
        InferenceErrorCode.UnsupportedCapability,
        `Model '${model.id}' does not support ${capability === 'chat' ? 'chat completions' : 'text completions'}`,
        'model',
      );
    }
  }

  private guardCharset(model: LoadedModel, text: string, param: string): void {
    const bad = model.charset.unsupported(text);
    if (bad.length) {
      throw new GenerationError(
        InferenceErrorCode.UnsupportedCharacters,
        `Model '${model.id}' cannot tokenize these characters: ${bad
          .slice(0, 10)
          .map((c) => JSON.stringify(c))
          .join(' ')}`,
        param,
      );
    }
  }

  /** OpenAI semantics: an explicit max_tokens that does not fit is an error; a missing one fills the context. */
  private resolveMaxTokens(
    model: LoadedModel,
    promptTokens: number,
    sampling: SamplingParams,
    promptParam: 'messages' | 'prompt',
  ): number {
    const room = model.contextSize - promptTokens;
    if (room < 1) {
      throw new GenerationError(
        InferenceErrorCode.ContextLengthExceeded,
        `This model's maximum context length is ${model.contextSize} tokens. However, your ${promptParam} resulted in ${promptTokens} tokens. Please reduce the length of the ${promptParam}.`,
        promptParam,
      );
    }
    if (sampling.maxTokens === undefined) return Math.min(room, model.definition.default_max_tokens);
    if (sampling.maxTokens > room) {
      throw new GenerationError(
        InferenceErrorCode.ContextLengthExceeded,
        `This model's maximum context length is ${model.contextSize} tokens. However, you requested ${promptTokens + sampling.maxTokens} tokens (${promptTokens} in the messages, ${sampling.maxTokens} in the completion). Please reduce the length of the messages or completion.`,
        'max_tokens',
      );
    }
    return sampling.maxTokens;
  }
}

/** A plain generation as the llama-server engine takes it: the same sampling as node-llama-cpp's below. */
function engineRequest(
  s: SamplingParams,
  tokens: readonly number[],
  maxTokens: number,
  signal: AbortSignal,
  biases: Map<number, number>,
  grammar?: EngineRequest['grammar'],
): EngineRequest {
  return {
    tokens,
    maxTokens,
    temperature: s.temperature ?? 1,
    topP: s.topP,
    seed: s.seed ?? randomInt(2 ** 31),
    frequencyPenalty: s.frequencyPenalty,
    presencePenalty: s.presencePenalty,
    logitBias: new Map([...biases].map(([id, bias]) => [id, bias <= LOGIT_BAN ? false : bias])),
    grammar,
    signal,
  };
}

function samplingOptions(s: SamplingParams, maxTokens: number, signal: AbortSignal, tokenBias?: TokenBias) {
  const penalties =
    s.frequencyPenalty || s.presencePenalty
      ? { repeatPenalty: { frequencyPenalty: s.frequencyPenalty, presencePenalty: s.presencePenalty } }
      : {};
  return {
    maxTokens,
    temperature: s.temperature ?? 1,
    topP: s.topP,
    // node-llama-cpp seeds with the current second when none is given: identical requests within a second would
    // repeat each other. OpenAI's behaviour is a fresh random seed per request.
    seed: s.seed ?? randomInt(2 ** 31),
    signal,
    stopOnAbortSignal: true,
    ...(tokenBias ? { tokenBias } : {}),
    ...penalties,
  } satisfies Partial<LLamaChatGenerateResponseOptions>;
}
