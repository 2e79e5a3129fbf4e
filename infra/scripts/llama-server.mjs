// llama-server (llama.cpp's own server): the inference worker's second engine (`engine: llama-server`) and the
// peer the inference benchmark compares against. Built from the llama.cpp source node-llama-cpp ships inside its
// npm package (llama/gitRelease.bundle), so it runs the same llama.cpp release as the in-process engine, offline.
// Built once into a cache folder outside the repo (LLMP_CACHE_DIR, default ~/.cache/llm-platform) keyed by the
// bundle's commit and reused by every later run: about 7 minutes of both cores the first time, nothing after.
// LLAMA_SERVER_BIN skips the build and names a binary. LLAMA_SERVER_CMAKE_ARGS adds cmake options, e.g.
// `-DGGML_CUDA=ON` for a CUDA build on a GPU node (or `-DGGML_VULKAN=ON`); each set of options is its own cache
// entry. The worker passes `-ngl 999` for models whose `gpu` is not false, which a CPU build ignores.
//
//   npm run llama-server:build      builds if needed, prints the binary's path
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

const LLAMA_DIR = resolve(REPO_ROOT, 'node_modules/node-llama-cpp/llama');

export function llamaCppRelease() {
  const info = JSON.parse(readFileSync(join(LLAMA_DIR, 'llama.cpp.info.json'), 'utf8'));
  // The bundle's own commit identifies the source better than the tag node-llama-cpp records.
  const head = execFileSync('git', ['bundle', 'list-heads', join(LLAMA_DIR, 'gitRelease.bundle')], {
    encoding: 'utf8',
  })
    .trim()
    .split(/\s+/)[0];
  return { tag: info.tag, commit: head.slice(0, 12) };
}

/** The path of a llama-server binary, building it first when the cache has none for this release. */
export function ensureLlamaServer({ log = (line) => process.stderr.write(`${line}\n`) } = {}) {
  if (process.env.LLAMA_SERVER_BIN) return process.env.LLAMA_SERVER_BIN;
  const { commit } = llamaCppRelease();
  const extraArgs = (process.env.LLAMA_SERVER_CMAKE_ARGS ?? '').split(/\s+/).filter(Boolean);
  const variant = extraArgs.length
    ? `${commit}-${createHash('sha256').update(extraArgs.join(' ')).digest('hex').slice(0, 8)}`
    : commit;
  const root = join(process.env.LLMP_CACHE_DIR ?? join(homedir(), '.cache', 'llm-platform'), 'llama-server', variant);
  const bin = join(root, 'build', 'bin', 'llama-server');
  if (existsSync(bin)) return bin;
  log(`building llama-server from node-llama-cpp's bundled llama.cpp (${commit}) into ${root}; about 7 minutes`);
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  const src = join(root, 'src');
  const build = join(root, 'build');
  const run = (cmd, args) => execFileSync(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  run('git', ['clone', '-q', join(LLAMA_DIR, 'gitRelease.bundle'), src]);
  run('cmake', [
    '-S',
    src,
    '-B',
    build,
    '-DLLAMA_CURL=OFF',
    '-DLLAMA_BUILD_UI=OFF',
    '-DLLAMA_USE_PREBUILT_UI=OFF',
    '-DLLAMA_OPENSSL=OFF',
    '-DGGML_NATIVE=ON',
    '-DCMAKE_BUILD_TYPE=Release',
    ...extraArgs,
  ]);
  run('cmake', ['--build', build, '--target', 'llama-server', '-j2']);
  if (!existsSync(bin)) throw new Error(`llama-server build finished without ${bin}`);
  return bin;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  console.log(ensureLlamaServer());
}
