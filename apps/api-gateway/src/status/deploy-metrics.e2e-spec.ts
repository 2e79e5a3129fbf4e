/**
 * Every metric the deployment queries (the Grafana dashboard in infra/grafana/dashboards and the KEDA prometheus
 * triggers under k8s/) is one the running apps really export: auth, an inference worker, an embedding worker and
 * the gateway are started as processes from dist/, serve a streamed chat completion and an embedding request, and
 * their /metrics are scraped. The queue-depth gauge the autoscaler reads is checked to move with a real backlog.
 *
 * Needs a build first: `node infra/scripts/build.mjs && npx jest apps/api-gateway/src/status/deploy-metrics`.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { OpenAI } from 'openai';
import { REPO_ROOT, RunningApp, RunningPlatform, startPlatform } from '@llmp/testing';

interface DeploymentQuery {
  where: string;
  expr: string;
  names: string[];
}

/** Series names with at least one sample in a Prometheus text exposition. */
function seriesNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? \S+/.exec(line);
    if (m) names.add(m[1]!);
  }
  return names;
}

async function scrape(app: RunningApp): Promise<string> {
  const res = await fetch(`${app.url}/metrics`);
  expect(res.status).toBe(200);
  return res.text();
}

describe('the deployment queries only metrics the apps export', () => {
  let platform: RunningPlatform;

  beforeAll(async () => {
    platform = await startPlatform({ worker: true, embeddingWorker: true });
  }, 180_000);

  afterAll(async () => {
    await platform?.stop();
  });

  it('every metric of the dashboard and the KEDA queries has samples on some app /metrics', async () => {
    const client = new OpenAI({ baseURL: `${platform.gateway.url}/v1`, apiKey: platform.apiKey });
    const stream = await client.chat.completions.create({
      model: 'stories260k',
      messages: [{ role: 'user', content: 'Once upon a time' }],
      max_tokens: 8,
      stream: true,
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    expect(text.length).toBeGreaterThan(0);
    const emb = await client.embeddings.create({ model: 'potion-base-2m', input: ['a small test'] });
    expect(emb.data[0]!.embedding.length).toBe(64);

    const exported = new Set<string>(['up']); // Prometheus' own series for every target.
    for (const app of [platform.gateway, platform.auth, platform.worker!, platform.embeddingWorker!]) {
      for (const n of seriesNames(await scrape(app))) exported.add(n);
    }
    const queries = JSON.parse(
      execFileSync(process.execPath, [join(REPO_ROOT, 'infra/scripts/deploy-metrics.mjs')], { encoding: 'utf8' }),
    ) as DeploymentQuery[];
    expect(queries.some((q) => q.where.includes('ScaledObject/inference-worker-cuda'))).toBe(true);
    expect(queries.some((q) => q.where.includes('llmp-platform.json'))).toBe(true);
    const missing = queries.flatMap((q) => q.names.filter((n) => !exported.has(n)).map((n) => `${q.where}: ${n}`));
    expect(missing).toEqual([]);
  });

  it('llmp_queue_jobs on the gateway counts a real backlog, and llmp_model_slots the slots of each model', async () => {
    const gauges = (text: string) =>
      new Map(
        text
          .split('\n')
          .filter((l) => l.startsWith('llmp_'))
          .map((l) => [l.slice(0, l.lastIndexOf(' ')), Number(l.slice(l.lastIndexOf(' ') + 1))]),
      );
    const idle = gauges(await scrape(platform.gateway));
    expect(idle.get('llmp_model_slots{model="stories260k",kind="llm"}')).toBe(8);
    expect(idle.get('llmp_model_slots{model="potion-base-2m",kind="embedding"}')).toBe(64);
    expect(idle.get('llmp_queue_jobs{queue="inference-stories260k",model="stories260k",state="waiting"}')).toBe(0);

    // With the worker stopped, requests queue up: the gauge the autoscaler reads sees them.
    await platform.worker!.stop();
    const client = new OpenAI({ baseURL: `${platform.gateway.url}/v1`, apiKey: platform.apiKey, maxRetries: 0 });
    const pending = [1, 2, 3].map(() =>
      client.chat.completions
        .create({ model: 'stories260k', messages: [{ role: 'user', content: 'Hello' }], max_tokens: 4 })
        .catch(() => undefined),
    );
    let waiting = 0;
    for (let i = 0; i < 50 && waiting < 3; i++) {
      await new Promise((r) => setTimeout(r, 100));
      waiting =
        gauges(await scrape(platform.gateway)).get(
          'llmp_queue_jobs{queue="inference-stories260k",model="stories260k",state="waiting"}',
        ) ?? 0;
    }
    expect(waiting).toBe(3);
    // The requests are left to time out or be cancelled when the platform stops.
    void Promise.all(pending);
  });
});
