// `npm run k8s:validate`: checks every deployment artefact offline and exits non-zero on any problem.
//   - Kubernetes: renders k8s/base and every k8s/overlays/* with `kubectl kustomize`, validates each object against
//     the Kubernetes, KEDA and prometheus-operator schemas (an unknown kind fails) and the platform's rules
//     (infra/scripts/deploy-k8s.mjs); the Secret template against k8s/operator-provided.yaml.
//   - Images: infra/docker/Dockerfile (infra/scripts/deploy-dockerfile.mjs).
//   - Compose: docker-compose.yml against the compose-spec schema and its rules (infra/scripts/deploy-compose.mjs).
//   - Metrics: every metric the Grafana dashboards and the KEDA prometheus triggers query is one the apps declare
//     (infra/scripts/deploy-metrics.mjs; the e2e spec checks the same against real running apps).
// Options (for tests and other trees): --root DIR, --k8s DIR, --compose FILE, --dockerfile FILE, --dashboards DIR.
// Without kubectl on PATH the render is skipped with a loud warning (everything else still runs) unless
// K8S_VALIDATE_REQUIRE_KUBECTL=1, which makes it a failure.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { validateCompose } from './deploy-compose.mjs';
import { validateDockerfile } from './deploy-dockerfile.mjs';
import { kubectlPath, loadOperatorProvided, render, validateObjects, validateSecretTemplate } from './deploy-k8s.mjs';
import { checkQueries, dashboardQueries, declaredMetrics, kedaQueries } from './deploy-metrics.mjs';

function parseArgs(argv) {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
  const opts = { root };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '');
    if (!['root', 'k8s', 'compose', 'dockerfile', 'dashboards'].includes(key))
      throw new Error(`unknown option ${argv[i]}`);
    opts[key] = resolve(argv[i + 1]);
  }
  opts.k8s ??= join(opts.root, 'k8s');
  opts.compose ??= join(opts.root, 'docker-compose.yml');
  opts.dockerfile ??= join(opts.root, 'infra/docker/Dockerfile');
  opts.dashboards ??= join(opts.root, 'infra/grafana/dashboards');
  return opts;
}

/** Kustomization directories under dir (recursively), relative to it. */
function kustomizations(dir) {
  const out = [];
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (!statSync(p).isDirectory()) continue;
    if (existsSync(join(p, 'kustomization.yaml'))) out.push(p);
    out.push(...kustomizations(p));
  }
  return out;
}

export async function main(argv = process.argv.slice(2), log = console.log) {
  const opts = parseArgs(argv);
  const rel = (p) => relative(process.cwd(), p) || '.';
  const sections = [];
  const section = (title, problems, summary = '') => {
    sections.push({ title, problems });
    log(`${problems.length ? '✗' : '✓'} ${title}${summary ? ` — ${summary}` : ''}`);
    for (const p of problems) log(`    ${p}`);
  };

  const metrics = declaredMetrics(opts.root);
  const kedaQ = [];

  // Kubernetes.
  const operator = loadOperatorProvided(opts.k8s);
  const overlaysDir = join(opts.k8s, 'overlays');
  const overlays = existsSync(overlaysDir)
    ? readdirSync(overlaysDir).filter((d) => existsSync(join(overlaysDir, d, 'kustomization.yaml')))
    : [];
  if (overlays.length === 0) section('Kubernetes overlays', [`no overlays in ${rel(overlaysDir)}`]);
  const kubectl = kubectlPath();
  if (!kubectl) {
    const msg =
      '!!! kubectl is not on PATH: the Kubernetes manifests were NOT rendered or validated. Install kubectl ' +
      '(v1.27 or later: kustomize components) to check them.';
    log(`\n${msg}\n`);
    if (process.env.K8S_VALIDATE_REQUIRE_KUBECTL === '1') section('kubectl', [msg]);
  } else {
    const used = new Set();
    for (const target of ['base', ...overlays.map((o) => `overlays/${o}`)]) {
      const dir = join(opts.k8s, target);
      let objects;
      try {
        objects = render(dir);
      } catch (err) {
        section(`k8s/${target}: render`, [String(err.stderr || err.message).trim()]);
        continue;
      }
      const kust = readFileSync(join(dir, 'kustomization.yaml'), 'utf8');
      for (const m of kust.matchAll(/^\s*-\s*(\.\.\/\S*components\/[\w-]+)\s*$/gm)) used.add(resolve(dir, m[1]));
      const expect = { base: target === 'base', cudaPool: /cuda/.test(target) };
      const problems = await validateObjects(objects, operator, expect);
      if (!expect.base) kedaQ.push(...kedaQueries(objects).map((q) => ({ ...q, where: `${target} ${q.where}` })));
      const kinds = {};
      for (const o of objects) kinds[o.kind] = (kinds[o.kind] ?? 0) + 1;
      section(
        `k8s/${target}`,
        problems,
        `${objects.length} objects (${Object.entries(kinds)
          .map(([k, n]) => `${n} ${k}`)
          .join(', ')})`,
      );
    }
    const componentsDir = join(opts.k8s, 'components');
    if (existsSync(componentsDir)) {
      const unused = kustomizations(componentsDir).filter((c) => !used.has(c));
      section(
        'k8s/components: each used by an overlay (so each is rendered and validated)',
        unused.map((c) => `${rel(c)} is used by no overlay`),
      );
    }
  }
  const template = join(opts.k8s, 'examples/secrets.example.yaml');
  if (existsSync(template)) {
    section(`${rel(template)}: matches k8s/operator-provided.yaml`, await validateSecretTemplate(template, operator));
  }

  // Images and compose.
  if (existsSync(opts.dockerfile)) {
    const d = validateDockerfile(opts.dockerfile);
    section(rel(opts.dockerfile), d.problems, `stages ${d.stages.join(', ')}; final ${d.finals.join(', ')}`);
  } else section('Dockerfile', [`${rel(opts.dockerfile)} does not exist`]);
  if (existsSync(opts.compose)) section(rel(opts.compose), validateCompose(opts.compose));
  else section('compose', [`${rel(opts.compose)} does not exist`]);

  // Metrics the dashboards and KEDA query.
  const dashboards = existsSync(opts.dashboards) ? readdirSync(opts.dashboards).filter((f) => f.endsWith('.json')) : [];
  if (dashboards.length === 0) section('Grafana dashboards', [`no dashboard in ${rel(opts.dashboards)}`]);
  for (const f of dashboards) {
    const file = join(opts.dashboards, f);
    let dash;
    try {
      dash = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      section(rel(file), [`not JSON: ${err.message}`]);
      continue;
    }
    const queries = dashboardQueries(dash);
    const problems = checkQueries(queries, metrics, 'dashboard');
    const ids = (dash.panels ?? []).map((p) => p.id);
    if (new Set(ids).size !== ids.length) problems.push('panel ids are not unique');
    section(rel(file), problems, `${queries.length} queries over ${metrics.size} exported series names`);
  }
  if (kubectl) section('KEDA prometheus queries', checkQueries(kedaQ, metrics, 'keda'), `${kedaQ.length} queries`);

  const failed = sections.filter((s) => s.problems.length);
  const total = failed.reduce((n, s) => n + s.problems.length, 0);
  log(
    failed.length
      ? `\nk8s:validate FAILED: ${total} problem(s) in ${failed.length} of ${sections.length} checks`
      : `\nk8s:validate passed: ${sections.length} checks`,
  );
  return failed.length ? 1 : 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().then(
    (code) => process.exit(code),
    (err) => {
      console.error(err);
      process.exit(2);
    },
  );
}
