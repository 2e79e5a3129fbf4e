/**
 * `npm run k8s:validate` on the real manifests passes, and on broken copies fails naming each problem: so the
 * validators can fail. Plain CommonJS like the bench tooling's tests (infra/ is outside the TypeScript project);
 * the validators are ES modules, run here as the CLI is run.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
const { afterAll, describe, expect, it } = require('@jest/globals');
const { execFileSync, spawnSync } = require('node:child_process');
const { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join, resolve } = require('node:path');

const ROOT = resolve(__dirname, '../..');
const CLI = join(ROOT, 'infra/scripts/k8s-validate.mjs');
const HAS_KUBECTL = spawnSync('kubectl', ['version', '--client'], { stdio: 'ignore' }).status === 0;

function validate(args = [], env = {}) {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

/** A scratch copy of the deployment files, for breaking. */
function scratch() {
  const dir = mkdtempSync(join(tmpdir(), 'llmp-deploy-validate-'));
  cpSync(join(ROOT, 'k8s'), join(dir, 'k8s'), { recursive: true });
  cpSync(join(ROOT, 'infra/docker'), join(dir, 'infra/docker'), { recursive: true });
  cpSync(join(ROOT, 'infra/grafana'), join(dir, 'infra/grafana'), { recursive: true });
  cpSync(join(ROOT, 'infra/prometheus'), join(dir, 'infra/prometheus'), { recursive: true });
  cpSync(join(ROOT, 'infra/config'), join(dir, 'infra/config'), { recursive: true });
  cpSync(join(ROOT, 'docker-compose.yml'), join(dir, 'docker-compose.yml'));
  return dir;
}

function edit(file, from, to) {
  const text = readFileSync(file, 'utf8');
  if (!text.includes(from)) throw new Error(`${file} does not contain ${JSON.stringify(from)}`);
  writeFileSync(file, text.replace(from, to));
}

/** The CLI on the scratch tree; apps/libs (metric declarations) stay those of the repository. */
function validateCopy(dir) {
  return validate([
    '--root',
    ROOT,
    '--k8s',
    join(dir, 'k8s'),
    '--compose',
    join(dir, 'docker-compose.yml'),
    '--dockerfile',
    join(dir, 'infra/docker/Dockerfile'),
    '--dashboards',
    join(dir, 'infra/grafana/dashboards'),
  ]);
}

describe('k8s:validate', () => {
  const dirs = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('passes on the repository: every overlay, the Dockerfile, compose, the dashboard and the KEDA queries', () => {
    const { code, out } = validate([], { K8S_VALIDATE_REQUIRE_KUBECTL: HAS_KUBECTL ? '1' : '0' });
    expect(out).toContain('k8s:validate passed');
    expect(code).toBe(0);
    if (HAS_KUBECTL) {
      for (const o of ['base', 'overlays/cpu', 'overlays/cuda', 'overlays/prod']) expect(out).toContain(`✓ k8s/${o} —`);
      expect(out).toMatch(/✓ KEDA prometheus queries — [1-9]\d* queries/);
    } else {
      expect(out).toContain('kubectl is not on PATH');
    }
  });

  (HAS_KUBECTL ? it : it.skip)('fails on broken Kubernetes manifests, naming each problem', () => {
    const dir = scratch();
    dirs.push(dir);
    const k8s = join(dir, 'k8s');
    // A field of the wrong type (the schema).
    edit(join(k8s, 'base/auth.yaml'), 'containerPort: 8001', "containerPort: 'eight'");
    // A misspelled field (unknown to the API, silently dropped by Kubernetes).
    edit(join(k8s, 'base/rag.yaml'), 'livenessProbe:', 'livenesProbe:');
    // Readiness on the wrong path.
    edit(join(k8s, 'base/api-gateway.yaml'), 'path: /health/ready', 'path: /ready');
    // The CUDA pool loses its toleration and its GPU limit.
    const cuda = join(k8s, 'components/cuda-pool/inference-worker-cuda.yaml');
    edit(cuda, 'key: nvidia.com/gpu', 'key: example.com/other');
    edit(cuda, 'nvidia.com/gpu: 1', 'ephemeral-storage: 1Gi');
    // A ScaledObject aimed at nothing, and a literal Secret in the base.
    edit(
      join(k8s, 'components/keda/embedding-worker-scaledobject.yaml'),
      'name: embedding-worker\n  minReplicaCount',
      'name: embedding-workers\n  minReplicaCount',
    );
    writeFileSync(
      join(k8s, 'base/leaked-secret.yaml'),
      'apiVersion: v1\nkind: Secret\nmetadata:\n  name: leaked\nstringData:\n  PASSWORD: hunter2\n',
    );
    // A kind no schema knows, and a ConfigMap reference to nothing.
    writeFileSync(join(k8s, 'base/mystery.yaml'), 'apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n');
    edit(
      join(k8s, 'base/kustomization.yaml'),
      '  - namespace.yaml\n',
      '  - namespace.yaml\n  - leaked-secret.yaml\n  - mystery.yaml\n',
    );
    edit(join(k8s, 'base/embedding-worker.yaml'), 'name: llmp-models-config', 'name: llmp-models-konfig');
    // A probe on a port the container does not have.
    edit(
      join(k8s, 'base/inference-worker.yaml'),
      'path: /health/ready\n              port: http',
      'path: /health/ready\n              port: metrics',
    );

    const { code, out } = validateCopy(dir);
    expect(code).toBe(1);
    expect(out).toContain('k8s:validate FAILED');
    expect(out).toMatch(
      /Deployment\/auth: schema: \/spec\/template\/spec\/containers\/0\/ports\/0\/containerPort must be integer/,
    );
    expect(out).toContain('Deployment/rag: unknown field containers[rag].livenesProbe');
    expect(out).toContain('Deployment/api-gateway: container api-gateway readinessProbe must be httpGet /health/ready');
    expect(out).toContain('Deployment/inference-worker-cuda: CUDA pool has no nvidia.com/gpu toleration');
    expect(out).toContain('Deployment/inference-worker-cuda: CUDA pool container has no nvidia.com/gpu limit');
    expect(out).toContain('ScaledObject/embedding-worker: scaleTargetRef Deployment/embedding-workers does not exist');
    expect(out).toContain('Deployment/embedding-worker: worker pool without a KEDA ScaledObject');
    expect(out).toContain('Secret/leaked: carries literal data');
    expect(out).toContain('Widget/w: no schema for example.com/v1 Widget');
    expect(out).toContain('ConfigMap llmp-models-konfig is neither in the render nor listed');
    expect(out).toContain('readinessProbe uses port metrics, which the container does not declare');
  });

  it('fails on a broken Dockerfile, compose file and dashboard', () => {
    const dir = scratch();
    dirs.push(dir);
    const dockerfile = join(dir, 'infra/docker/Dockerfile');
    edit(dockerfile, 'ARG NODE_IMAGE=node:20.19-bookworm-slim', 'ARG NODE_IMAGE=node:latest');
    edit(dockerfile, 'USER 1000:1000\nEXPOSE 8000', 'USER root\nEXPOSE 8000');
    const compose = join(dir, 'docker-compose.yml');
    edit(compose, "'--maxmemory-policy', 'noeviction'", "'--maxmemory-policy', 'allkeys-lru'");
    edit(compose, '    stop_grace_period: 60s\n', '    stop_grace_period: 60s\n    restart_polcy: always\n');
    const dash = join(dir, 'infra/grafana/dashboards/llmp-platform.json');
    edit(dash, 'rate(inference_tokens_generated_total[1m])', 'rate(inference_tokens_made_total[1m])');

    const { code, out } = validateCopy(dir);
    expect(code).toBe(1);
    expect(out).toMatch(/Dockerfile:\d+: base image node:latest uses the latest tag/);
    expect(out).toMatch(/Dockerfile:\d+: final stage runtime runs as root/);
    expect(out).toContain('redis runs without --maxmemory-policy noeviction');
    expect(out).toMatch(/schema: \/services\/inference-worker must NOT have additional properties \(restart_polcy\)/);
    expect(out).toContain('metric inference_tokens_made_total is not exported by any app');
  });

  it('skips the render loudly when kubectl is missing, and fails then only if kubectl is required', () => {
    const env = { PATH: '/nonexistent' };
    const r = spawnSync(process.execPath, [CLI], { cwd: ROOT, encoding: 'utf8', env });
    expect(`${r.stdout}`).toContain('!!! kubectl is not on PATH');
    expect(r.status).toBe(0);
    const strict = spawnSync(process.execPath, [CLI], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...env, K8S_VALIDATE_REQUIRE_KUBECTL: '1' },
    });
    expect(strict.status).toBe(1);
  });

  it('reads the metric names out of PromQL (functions, labels, ranges and keywords left out)', () => {
    const script = `
      import { promqlMetricNames } from ${JSON.stringify(join(ROOT, 'infra/scripts/deploy-metrics.mjs'))};
      console.log(JSON.stringify(promqlMetricNames(process.argv[1])));`;
    const names = (expr) =>
      JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script, expr], { encoding: 'utf8' }));
    expect(
      names(
        'max(sum by (model) (max by (model, state) (llmp_queue_jobs{state=~"waiting|active"})) / on (model) max by (model) (llmp_model_slots{kind="llm"}))',
      ),
    ).toEqual(['llmp_queue_jobs', 'llmp_model_slots']);
    expect(
      names('histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket[5m]))) > bool 1'),
    ).toEqual(['http_request_duration_seconds_bucket']);
    expect(existsSync(CLI)).toBe(true);
  });
});
