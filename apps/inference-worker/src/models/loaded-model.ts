import type { ChatWrapper, LlamaContext, LlamaModel, Token } from 'node-llama-cpp';
import type { LlmModelDefinition } from '@llmp/platform';
import { CharsetGuard } from './charset-guard';
import type { TokenTextSource } from '../inference/token-logprobs';
import type { LlamaServerEngine } from '../engines/llama-server-engine';
import type { LlamaCpp } from './llama-cpp';
import { SequencePool } from './sequence-pool';
import type { Vocabulary } from './vocabulary';

/**
 * A model loaded in this worker: its weights, one shared context, the sequence pool and the tokenizer guard, and
 * with `engine: llama-server` the supervised server that decodes its plain generations.
 */
export class LoadedModel {
  readonly sequences: SequencePool;
  /** How generated tokens read, for logprobs. */
  readonly tokenTexts: TokenTextSource;

  constructor(
    /** The node-llama-cpp module, for the classes a generation instantiates. */
    readonly lib: LlamaCpp,
    readonly definition: LlmModelDefinition,
    readonly model: LlamaModel,
    readonly context: LlamaContext,
    readonly chatWrapper: ChatWrapper,
    readonly charset: CharsetGuard,
    /** Template tokens the chat wrapper adds per message (measured at load), for prompt-fitting estimates. */
    readonly messageOverhead: number,
    /** Null when the file has no token list. */
    readonly vocabulary: Vocabulary | null,
    /** The llama-server process decoding this model's plain generations (engine: llama-server), else null. */
    readonly engine: LlamaServerEngine | null = null,
  ) {
    this.sequences = new SequencePool(context);
    this.tokenTexts = {
      text: (token, previous) => model.detokenize([token as Token], false, previous as readonly Token[]),
      rawBytes: (token) => vocabulary?.rawBytes(token) ?? null,
    };
  }

  get id(): string {
    return this.definition.id;
  }

  /** Tokens one sequence can hold (prompt plus completion). */
  get contextSize(): number {
    return this.context.contextSize;
  }
}
