import { Logger } from '@nestjs/common';
import { ChildProcess, spawn } from 'node:child_process';
import { IncomingMessage, request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { EventSourceMessage, createParser } from 'eventsource-parser';
import type { LlmModelDefinition } from '@llmp/platform';
import type { StopReason } from '../inference/output-collector';

/** What one generation asks llama-server for: the prompt as token ids (rendered and tokenized by the worker). */
export interface EngineRequest {
  tokens: readonly number[];
  maxTokens: number;
  temperature: number;
  topP?: number;
  seed: number;
  frequencyPenalty?: number;
  presencePenalty?: number;
  /** Token id → additive bias; `false` bans the token (OpenAI's -100). */
  logitBias?: ReadonlyMap<number, number | false>;
  /** A GBNF grammar the output must match (a response format), and the texts that end it (not emitted). */
  grammar?: { gbnf: string; stops: string[] };
  signal: AbortSignal;
}

/** The collector's two feeds, called for each streamed piece: its tokens first, then its text. */
export interface EngineSink {
  onToken(tokens: readonly number[]): void;
  onText(text: string): void;
}

interface CompletionChunk {
  content?: string;
  tokens?: number[];
  stop?: boolean;
  stop_type?: 'eos' | 'limit' | 'word' | 'none';
  error?: { message?: string };
}

const START_TIMEOUT_MS = 120_000;

/**
 * Runs llama-server so that it never outlives the worker: a worker killed outright (SIGKILL, OOM) cannot stop its
 * children, and llama-server has no parent-death option, so a shell starts it and watches the pipe on its stdin,
 * which only the worker holds: when the worker is gone the pipe closes and the server is killed. SIGTERM to the
 * shell stops the server gracefully; the shell exits with the server's status.
 */
const SUPERVISOR_SCRIPT = [
  'exec 3<&0',
  '"$@" </dev/null & server=$!',
  "trap 'kill -TERM $server 2>/dev/null' TERM INT",
  '( read -r _ <&3; kill -KILL $server 2>/dev/null ) &',
  'wait $server; status=$?',
  'while kill -0 $server 2>/dev/null; do wait $server; status=$?; done',
  'exit $status',
].join('\n');
const RESTART_BACKOFF_MS = [500, 1000, 2000, 5000];

/**
 * A llama-server process (llama.cpp's own server) this worker supervises for one model, and the client that
 * streams generations from it over loopback. It exists because node-llama-cpp 3.22 gains nothing from batching
 * several sequences on CPU (8 sequences decode no faster in aggregate than one, measured in issue 18), while
 * llama-server's continuous batching over the same llama.cpp gets 1.5–2x from them. The worker keeps everything
 * else: prompt rendering and tokenization (node-llama-cpp's chat wrapper and tokenizer, so both engines see the
 * same tokens), stop sequences, limits, events; llama-server only decodes and samples. Requests it cannot serve
 * as node-llama-cpp does (function calling, logprobs) stay on node-llama-cpp in the same worker.
 *
 * The process listens on 127.0.0.1 only, on a port picked at start. It is restarted if it dies (its in-flight
 * generations fail and BullMQ retries their jobs), and readiness fails while it is down.
 */
export class LlamaServerEngine {
  private readonly logger: Logger;
  private proc: ChildProcess | null = null;
  private port = 0;
  private ready = false;
  private stopping = false;
  private restarts = 0;
  private stderrTail = '';

  private constructor(
    private readonly binary: string,
    private readonly modelPath: string,
    private readonly def: LlmModelDefinition,
    /** Tokens each slot holds: the same per-sequence context as the in-process engine. */
    private readonly contextPerSlot: number,
  ) {
    this.logger = new Logger(`LlamaServer:${def.id}`);
  }

  static async start(
    binary: string,
    modelPath: string,
    def: LlmModelDefinition,
    contextPerSlot: number,
  ): Promise<LlamaServerEngine> {
    const engine = new LlamaServerEngine(binary, modelPath, def, contextPerSlot);
    await engine.launch();
    return engine;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Throws while the process is down or restarting (a readiness check). */
  check(): void {
    if (!this.ready) throw new Error(`llama-server for ${this.def.id} is not running`);
  }

  private args(): string[] {
    const slots = this.def.slots;
    const args = [
      '-m',
      this.modelPath,
      '-t',
      String(this.def.threads),
      '-tb',
      String(this.def.threads),
      '-np',
      String(slots),
      '-c',
      String(slots * this.contextPerSlot),
      '--host',
      '127.0.0.1',
      '--port',
      String(this.port),
      '--no-webui',
      '--no-warmup',
    ];
    if (this.def.batch_size) args.push('-b', String(this.def.batch_size), '-ub', String(this.def.batch_size));
    // A GPU build offloads every layer; a CPU build ignores the flag.
    if (this.def.gpu !== false) args.push('-ngl', '999');
    return args;
  }

  private async launch(): Promise<void> {
    this.port = await freeLoopbackPort();
    const started = performance.now();
    const proc = spawn('/bin/sh', ['-c', SUPERVISOR_SCRIPT, 'llama-server', this.binary, ...this.args()], {
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    proc.stdin!.on('error', () => undefined);
    this.proc = proc;
    proc.stderr!.on('data', (d: Buffer) => (this.stderrTail = (this.stderrTail + d.toString()).slice(-2000)));
    const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
    proc.once('error', (err) => this.logger.error(`cannot run ${this.binary}: ${err.message}`));
    void exited.then((code) => this.onExit(proc, code));
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (!(await this.healthy())) {
      if (proc.exitCode !== null || proc.signalCode !== null || Date.now() > deadline) {
        proc.kill('SIGKILL');
        throw new Error(
          `llama-server for ${this.def.id} did not start (${this.binary}): ${lastLines(this.stderrTail) || 'no output'}`,
        );
      }
      await sleep(100);
    }
    this.ready = true;
    this.logger.log(
      `llama-server ready on ${this.url} in ${Math.round(performance.now() - started)} ms ` +
        `(${this.def.slots} slots of ${this.contextPerSlot} tokens, ${this.def.threads} threads)`,
    );
  }

  private async healthy(): Promise<boolean> {
    try {
      const res = await fetch(`${this.url}/health`, { signal: AbortSignal.timeout(1000) });
      await res.body?.cancel();
      return res.status === 200;
    } catch {
      return false;
    }
  }

  private onExit(proc: ChildProcess, code: number | null): void {
    // Closing the pipe also ends the shell's watcher (and kills a server the shell left behind).
    proc.stdin?.destroy();
    if (proc !== this.proc) return;
    this.ready = false;
    if (this.stopping) return;
    const delay = RESTART_BACKOFF_MS[Math.min(this.restarts, RESTART_BACKOFF_MS.length - 1)];
    this.restarts++;
    this.logger.error(
      `llama-server exited (${code ?? proc.signalCode}); restarting in ${delay} ms: ${lastLines(this.stderrTail)}`,
    );
    void sleep(delay).then(() =>
      this.stopping ? undefined : this.launch().catch((err: Error) => this.logger.error(err.message)),
    );
  }

  /**
   * Streams one generation into `sink` and says why it stopped. Aborting `req.signal` (a cancellation, or the
   * collector finding a stop sequence) closes the connection, which makes llama-server stop that slot at once.
   */
  async generate(req: EngineRequest, sink: EngineSink): Promise<StopReason> {
    this.check();
    const body = {
      prompt: req.tokens,
      n_predict: req.maxTokens,
      stream: true,
      return_tokens: true,
      cache_prompt: true,
      temperature: req.temperature,
      // node-llama-cpp's sampler defaults, so both engines sample alike.
      top_k: 40,
      top_p: req.topP ?? 0.95,
      min_p: 0,
      seed: req.seed,
      frequency_penalty: req.frequencyPenalty ?? 0,
      presence_penalty: req.presencePenalty ?? 0,
      ...(req.logitBias?.size ? { logit_bias: [...req.logitBias] } : {}),
      ...(req.grammar ? { grammar: req.grammar.gbnf, stop: req.grammar.stops } : {}),
    };
    let res: IncomingMessage;
    try {
      res = await this.post('/completion', JSON.stringify(body), req.signal);
    } catch (err) {
      if (req.signal.aborted) return 'abort';
      throw new Error(`llama-server unreachable: ${(err as Error).message}`);
    }
    if (res.statusCode !== 200) {
      let text = '';
      for await (const piece of res) text += String(piece);
      throw new Error(`llama-server answered ${res.statusCode}: ${text.slice(0, 300)}`);
    }
    const pending: EventSourceMessage[] = [];
    const parser = createParser({ onEvent: (event) => pending.push(event) });
    const decoder = new TextDecoder();
    try {
      for await (const bytes of res) {
        parser.feed(decoder.decode(bytes as Buffer, { stream: true }));
        for (const event of pending.splice(0)) {
          const chunk = JSON.parse(event.data) as CompletionChunk;
          if (chunk.error) throw new Error(`llama-server: ${chunk.error.message ?? 'generation failed'}`);
          if (chunk.tokens?.length) sink.onToken(chunk.tokens);
          if (chunk.content) sink.onText(chunk.content);
          if (chunk.stop) {
            return chunk.stop_type === 'limit'
              ? 'maxTokens'
              : chunk.stop_type === 'word'
                ? 'stopGenerationTrigger'
                : 'eogToken';
          }
        }
      }
    } catch (err) {
      if (req.signal.aborted) return 'abort';
      throw err;
    }
    if (req.signal.aborted) return 'abort';
    throw new Error('llama-server ended the stream without a final event');
  }

  /**
   * One request on a connection of its own (`agent: false`): llama-server closes the connection after every
   * streamed response without saying so (no `Connection: close`), so a kept-alive socket could be reused after the
   * server closed it and the next request would fail with "other side closed". A loopback connect costs ~0.1 ms.
   */
  private post(path: string, body: string, signal: AbortSignal): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const request = httpRequest(
        {
          host: '127.0.0.1',
          port: this.port,
          path,
          method: 'POST',
          agent: false,
          signal,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        },
        resolve,
      );
      request.once('error', reject);
      request.end(body);
    });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.ready = false;
    const proc = this.proc;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill('SIGTERM');
    await Promise.race([exited, sleep(5000).then(() => proc.kill('SIGKILL'))]);
  }
}

function lastLines(text: string): string {
  return text.trim().split('\n').slice(-3).join(' | ');
}

function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
