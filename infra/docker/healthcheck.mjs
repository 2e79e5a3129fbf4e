// Container health check without curl or wget (the slim image has neither): GET http://127.0.0.1:<port><path>
// and exit 0 on a 2xx answer. The port is $PORT, else the default port of $APP.
// Usage: node infra/docker/healthcheck.mjs [/health/ready]
const DEFAULT_PORTS = {
  'api-gateway': 8000,
  auth: 8001,
  'chat-history': 8002,
  rag: 8003,
  'inference-worker': 8010,
  'embedding-worker': 8011,
};
const path = process.argv[2] ?? '/health/ready';
const port = process.env.PORT || DEFAULT_PORTS[process.env.APP ?? ''];
if (!port) {
  console.error(`healthcheck: PORT is not set and APP=${process.env.APP ?? ''} has no default port`);
  process.exit(1);
}
try {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(4000) });
  if (!res.ok) console.error(`healthcheck: ${path} answered ${res.status}: ${await res.text()}`);
  process.exit(res.ok ? 0 : 1);
} catch (err) {
  console.error(`healthcheck: ${path}: ${err instanceof Error ? err.message : err}`);
  process.exit(1);
}
