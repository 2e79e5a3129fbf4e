/**
 * node-llama-cpp is an ES module with top-level await, which CommonJS cannot `require`. It is loaded once, only
 * when a `backend: llama` model is configured, with a dynamic import (kept as `import()` by the build).
 */
export type LlamaCpp = typeof import('node-llama-cpp');

let loading: Promise<LlamaCpp> | undefined;

export function loadLlamaCpp(): Promise<LlamaCpp> {
  loading ??= import('node-llama-cpp');
  return loading;
}
