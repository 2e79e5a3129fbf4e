import { Worker } from 'node:worker_threads';
import { ExtractError } from './extract-error';

export interface PdfTextOptions {
  /** Longest time one PDF may take; the worker is terminated after it. */
  timeoutMs?: number;
  /** Heap limit of the worker, so that a hostile PDF cannot take the service's memory. */
  maxHeapMb?: number;
}

type WorkerReply = { ok: true; pages: string[] } | { ok: false; name: string; message: string };

/**
 * The worker's code. unpdf (pdf.js) is an ES module loaded with `import()`: a worker thread is a plain Node
 * context, so this works under Jest's CommonJS sandbox too, and the parse (CPU-bound, synchronous in places) runs
 * off the service's event loop, with a heap limit and a timeout.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
(async () => {
  let pdf;
  try {
    const { getDocumentProxy, extractText } = await import(workerData.unpdf);
    pdf = await getDocumentProxy(new Uint8Array(workerData.bytes), { verbosity: 0, isEvalSupported: false });
    const { text } = await extractText(pdf, { mergePages: false });
    parentPort.postMessage({ ok: true, pages: text });
  } catch (err) {
    parentPort.postMessage({ ok: false, name: String(err && err.name), message: String(err && err.message) });
  } finally {
    if (pdf) await pdf.destroy().catch(() => {});
  }
})();
`;

/** The text of every page of a PDF, pages separated by a blank line, through unpdf in a worker thread. */
export async function pdfText(bytes: Buffer, filename: string, opts: PdfTextOptions = {}): Promise<string> {
  const reply = await runWorker(bytes, opts.timeoutMs ?? 60_000, opts.maxHeapMb ?? 512);
  if (reply.ok)
    return reply.pages
      .map((p) => p.trim())
      .filter((p) => p !== '')
      .join('\n\n');
  if (reply.name === 'PasswordException') {
    throw new ExtractError('invalid_file', `${filename} is a password-protected PDF`);
  }
  throw new ExtractError('invalid_file', `${filename} is not a readable PDF: ${reply.message}`);
}

function runWorker(bytes: Buffer, timeoutMs: number, maxHeapMb: number): Promise<WorkerReply> {
  // A copy the worker can own: the caller's Buffer may be a slice of a pooled ArrayBuffer.
  const copy = new Uint8Array(bytes).buffer;
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { unpdf: require.resolve('unpdf'), bytes: copy },
    transferList: [copy],
    resourceLimits: { maxOldGenerationSizeMb: maxHeapMb },
  });
  return new Promise<WorkerReply>((resolve) => {
    const done = (reply: WorkerReply): void => {
      clearTimeout(timer);
      worker.removeAllListeners();
      void worker.terminate();
      resolve(reply);
    };
    const timer = setTimeout(
      () => done({ ok: false, name: 'Timeout', message: `parsing took longer than ${timeoutMs} ms` }),
      timeoutMs,
    );
    worker.once('message', (reply: WorkerReply) => done(reply));
    worker.once('error', (err) => done({ ok: false, name: err.name, message: err.message }));
    worker.once('exit', (code) => done({ ok: false, name: 'Exit', message: `the PDF worker exited (${code})` }));
  });
}
