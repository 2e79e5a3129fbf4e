// Starting llama-server for the inference benchmark's comparison (the build is infra/scripts/llama-server.mjs).
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';

export { ensureLlamaServer, llamaCppRelease } from '../../infra/scripts/llama-server.mjs';

/**
 * Starts llama-server on a free port with one thread and `parallel` slots of `ctxPerSlot` tokens each, and waits
 * until /health answers 200. Returns { url, proc, stop }.
 */
export async function startLlamaServer(bin, { model, port, parallel = 8, ctxPerSlot = 512, threads = 1, extra = [] }) {
  const args = [
    '-m',
    model,
    '-t',
    String(threads),
    '-tb',
    String(threads),
    '-np',
    String(parallel),
    '-c',
    String(parallel * ctxPerSlot),
    '--host',
    '127.0.0.1',
    '--port',
    String(port),
    '--no-webui',
    ...extra,
  ];
  const proc = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`llama-server exited ${proc.exitCode}: ${stderr}`);
    const ok = await fetch(`${url}/health`)
      .then((r) => r.status === 200)
      .catch(() => false);
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`llama-server not healthy within 60 s: ${stderr}`);
    await sleep(200);
  }
  const stop = async () => {
    if (proc.exitCode !== null) return;
    proc.kill('SIGTERM');
    await Promise.race([new Promise((r) => proc.once('exit', r)), sleep(5000).then(() => proc.kill('SIGKILL'))]);
  };
  return { url, proc, stop };
}
