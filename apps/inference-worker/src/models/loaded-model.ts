import type { ChatWrapper, LlamaContext, LlamaModel } from 'node-llama-cpp';
import type { LlmModelDefinition } from '@llmp/platform';
import { CharsetGuard } from './charset-guard';
import type { LlamaCpp } from './llama-cpp';
import { SequencePool } from './sequence-pool';

/** A model loaded in this worker: its weights, one shared context, the sequence pool and the tokenizer guard. */
export class LoadedModel {
  readonly sequences: SequencePool;

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
  ) {
    this.sequences = new SequencePool(context);
  }

  get id(): string {
    return this.definition.id;
  }

  /** Tokens one sequence can hold (prompt plus completion). */
  get contextSize(): number {
    return this.context.contextSize;
  }
}
