// Kubernetes checks of `npm run k8s:validate`: render a kustomization with `kubectl kustomize`, validate every
// object against its schema (kubernetes-models, @kubernetes-models/keda, @kubernetes-models/prometheus-operator;
// a kind none of them knows is a failure), then the platform's own rules the schemas cannot express.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments, parse as parseYaml } from 'yaml';

/** apiVersion -> the module whose classes validate it. */
const MODEL_MODULES = {
  v1: 'kubernetes-models/v1',
  'apps/v1': 'kubernetes-models/apps/v1',
  'batch/v1': 'kubernetes-models/batch/v1',
  'policy/v1': 'kubernetes-models/policy/v1',
  'autoscaling/v2': 'kubernetes-models/autoscaling/v2',
  'networking.k8s.io/v1': 'kubernetes-models/networking.k8s.io/v1',
  'rbac.authorization.k8s.io/v1': 'kubernetes-models/rbac.authorization.k8s.io/v1',
  'keda.sh/v1alpha1': '@kubernetes-models/keda/keda.sh/v1alpha1',
  'monitoring.coreos.com/v1': '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1',
};

const WORKLOADS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'Job']);

export function kubectlPath() {
  for (const p of (process.env.PATH ?? '').split(':')) {
    if (p && existsSync(join(p, 'kubectl'))) return join(p, 'kubectl');
  }
  return null;
}

/** Renders a kustomization directory into its objects. Throws with kubectl's message when it cannot. */
export function render(dir) {
  const out = execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return parseAllDocuments(out)
    .map((d) => d.toJS())
    .filter(Boolean);
}

/** Loads a multi-document YAML file (a manifest outside any kustomization). */
export function loadManifests(file) {
  return parseAllDocuments(readFileSync(file, 'utf8'))
    .map((d) => d.toJS())
    .filter(Boolean);
}

const modelCache = new Map();
async function modelClass(apiVersion, kind) {
  const mod = MODEL_MODULES[apiVersion];
  if (!mod) return null;
  if (!modelCache.has(mod)) modelCache.set(mod, await import(mod));
  const cls = modelCache.get(mod)[kind];
  return typeof cls === 'function' ? cls : null;
}

/** Property names an interface of kubernetes-models declares (its .d.ts), to catch misspelled fields. */
const knownKeysCache = new Map();
function knownKeys(modulePath, iface) {
  const key = `${modulePath}#${iface}`;
  if (!knownKeysCache.has(key)) {
    const file = fileURLToPath(import.meta.resolve(modulePath)).replace(/\.js$/, '.d.ts');
    const text = readFileSync(file, 'utf8');
    const start = text.indexOf(`export interface ${iface} `);
    if (start < 0) throw new Error(`no interface ${iface} in ${file}`);
    const body = text.slice(start, text.indexOf('\n}', start));
    knownKeysCache.set(key, new Set([...body.matchAll(/^ {4}"([^"]+)"\??:/gm)].map((m) => m[1])));
  }
  return knownKeysCache.get(key);
}

/**
 * The schemas accept unknown fields (Kubernetes drops them silently): a misspelled `readinesProbe` would pass.
 * These are the objects where a typo changes behaviour; each key must be one the API knows.
 */
function unknownFieldProblems(o) {
  const out = [];
  const check = (value, mod, iface, path) => {
    if (!value || typeof value !== 'object') return;
    const known = knownKeys(mod, iface);
    for (const k of Object.keys(value)) if (!known.has(k)) out.push(`unknown field ${path}.${k}`);
  };
  if (!WORKLOADS.has(o.kind)) return out;
  const specIface = {
    Deployment: 'IDeploymentSpec',
    StatefulSet: 'IStatefulSetSpec',
    DaemonSet: 'IDaemonSetSpec',
    Job: 'IJobSpec',
  };
  const specMod = o.kind === 'Job' ? 'kubernetes-models/batch/v1' : 'kubernetes-models/apps/v1';
  check(o.spec, `${specMod}/${o.kind}Spec`, specIface[o.kind], 'spec');
  const pod = o.spec?.template?.spec;
  check(pod, 'kubernetes-models/v1/PodSpec', 'IPodSpec', 'spec.template.spec');
  for (const [i, c] of [...(pod?.containers ?? []), ...(pod?.initContainers ?? [])].entries()) {
    const p = `containers[${c.name ?? i}]`;
    check(c, 'kubernetes-models/v1/Container', 'IContainer', p);
    check(c.resources, 'kubernetes-models/v1/ResourceRequirements', 'IResourceRequirements', `${p}.resources`);
    for (const probe of ['readinessProbe', 'livenessProbe', 'startupProbe']) {
      check(c[probe], 'kubernetes-models/v1/Probe', 'IProbe', `${p}.${probe}`);
    }
  }
  return out;
}

const containersOf = (o) => [
  ...(o.spec?.template?.spec?.initContainers ?? []),
  ...(o.spec?.template?.spec?.containers ?? []),
];
const id = (o) => `${o.kind}/${o.metadata?.name}`;

/** Every ConfigMap/Secret/PVC a workload (or KEDA auth) references: [{ kind, name, key?, where }]. */
function references(o) {
  const refs = [];
  const pod = o.spec?.template?.spec;
  if (pod) {
    for (const v of pod.volumes ?? []) {
      if (v.configMap) refs.push({ kind: 'ConfigMap', name: v.configMap.name, where: `volume ${v.name}` });
      if (v.secret) refs.push({ kind: 'Secret', name: v.secret.secretName, where: `volume ${v.name}` });
      if (v.persistentVolumeClaim) {
        refs.push({
          kind: 'PersistentVolumeClaim',
          name: v.persistentVolumeClaim.claimName,
          where: `volume ${v.name}`,
        });
      }
      for (const s of v.projected?.sources ?? []) {
        if (s.configMap) refs.push({ kind: 'ConfigMap', name: s.configMap.name, where: `volume ${v.name}` });
        if (s.secret) refs.push({ kind: 'Secret', name: s.secret.name, where: `volume ${v.name}` });
      }
    }
    for (const c of containersOf(o)) {
      for (const e of c.envFrom ?? []) {
        if (e.configMapRef && !e.configMapRef.optional) {
          refs.push({ kind: 'ConfigMap', name: e.configMapRef.name, where: `${c.name} envFrom` });
        }
        if (e.secretRef && !e.secretRef.optional)
          refs.push({ kind: 'Secret', name: e.secretRef.name, where: `${c.name} envFrom` });
      }
      for (const e of c.env ?? []) {
        const cm = e.valueFrom?.configMapKeyRef;
        const sk = e.valueFrom?.secretKeyRef;
        if (cm && !cm.optional)
          refs.push({ kind: 'ConfigMap', name: cm.name, key: cm.key, where: `${c.name} env ${e.name}` });
        if (sk && !sk.optional)
          refs.push({ kind: 'Secret', name: sk.name, key: sk.key, where: `${c.name} env ${e.name}` });
      }
    }
  }
  if (o.kind === 'TriggerAuthentication' || o.kind === 'ClusterTriggerAuthentication') {
    for (const s of o.spec?.secretTargetRef ?? []) {
      refs.push({ kind: 'Secret', name: s.name, key: s.key, where: `secretTargetRef ${s.parameter}` });
    }
  }
  return refs;
}

function selects(selector, labels) {
  if (!selector) return false;
  const ml = selector.matchLabels ?? (selector.matchExpressions ? {} : selector);
  for (const [k, v] of Object.entries(ml)) if (labels?.[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = labels && e.key in labels;
    if (e.operator === 'In' && !(has && e.values.includes(labels[e.key]))) return false;
    if (e.operator === 'NotIn' && has && e.values.includes(labels[e.key])) return false;
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
  }
  return true;
}

const isCudaPool = (o) =>
  o.kind === 'Deployment' &&
  (/cuda|gpu/.test(o.metadata.name) ||
    containersOf(o).some((c) => (c.env ?? []).some((e) => e.name === 'WORKER_GPU' && e.value === 'cuda')));

const isWorkerPool = (o) =>
  o.kind === 'Deployment' &&
  containersOf(o).some((c) =>
    (c.env ?? []).some((e) => e.name === 'APP' && ['inference-worker', 'embedding-worker'].includes(e.value)),
  );

/**
 * Validates the rendered objects of one kustomization. `operator` is k8s/operator-provided.yaml (what may be
 * referenced without being rendered). `expect` names what this render must contain: { cudaPool: true } for an
 * overlay with a GPU pool. Returns a list of problems (strings); empty means valid.
 */
export async function validateObjects(objects, operator, expect = {}) {
  const problems = [];
  const add = (o, msg) => problems.push(`${o ? id(o) : '(render)'}: ${msg}`);
  const byKind = (kind) => objects.filter((o) => o.kind === kind);
  const find = (kind, name) => objects.find((o) => o.kind === kind && o.metadata?.name === name);

  // 1. Schemas.
  for (const o of objects) {
    if (!o.apiVersion || !o.kind || !o.metadata?.name) {
      add(o, 'object without apiVersion, kind or metadata.name');
      continue;
    }
    const cls = await modelClass(o.apiVersion, o.kind);
    if (!cls) {
      add(o, `no schema for ${o.apiVersion} ${o.kind} (unknown kind: not validated, so not allowed)`);
      continue;
    }
    try {
      new cls(o).validate();
    } catch (err) {
      for (const e of err.errors ?? [{ instancePath: '', message: err.message }]) {
        add(
          o,
          `schema: ${e.instancePath || '/'} ${e.message}${e.params?.additionalProperty ? ` (${e.params.additionalProperty})` : ''}`,
        );
      }
    }
    for (const u of unknownFieldProblems(o)) add(o, u);
  }

  // 2. Workloads: resources, probes, ports, volumes, images.
  for (const o of objects.filter((x) => WORKLOADS.has(x.kind))) {
    const pod = o.spec?.template?.spec ?? {};
    const volumeNames = new Set([
      ...(pod.volumes ?? []).map((v) => v.name),
      ...(o.spec?.volumeClaimTemplates ?? []).map((t) => t.metadata?.name),
    ]);
    if (o.kind !== 'Job' && !selects(o.spec?.selector, o.spec?.template?.metadata?.labels)) {
      add(o, 'spec.selector does not match the pod template labels');
    }
    for (const c of containersOf(o)) {
      const r = c.resources ?? {};
      for (const [section, res] of [
        ['requests', 'cpu'],
        ['requests', 'memory'],
        ['limits', 'cpu'],
        ['limits', 'memory'],
      ]) {
        if (r[section]?.[res] === undefined) add(o, `container ${c.name} has no resources.${section}.${res}`);
      }
      if (!c.image || /:latest$/.test(c.image) || !/[:@]/.test(c.image.split('/').pop())) {
        add(o, `container ${c.name} image ${c.image} has no pinned tag (never latest)`);
      }
      const ports = new Map((c.ports ?? []).map((p) => [p.name, p.containerPort]));
      const numbers = new Set((c.ports ?? []).map((p) => p.containerPort));
      for (const probe of ['readinessProbe', 'livenessProbe', 'startupProbe']) {
        const port = c[probe]?.httpGet?.port ?? c[probe]?.tcpSocket?.port ?? c[probe]?.grpc?.port;
        if (port === undefined) continue;
        if (typeof port === 'string' ? !ports.has(port) : !numbers.has(port)) {
          add(o, `container ${c.name} ${probe} uses port ${port}, which the container does not declare`);
        }
      }
      for (const m of c.volumeMounts ?? []) {
        if (!volumeNames.has(m.name)) add(o, `container ${c.name} mounts volume ${m.name}, which is not declared`);
      }
      if (pod.securityContext?.runAsNonRoot !== true && c.securityContext?.runAsNonRoot !== true) {
        add(o, `container ${c.name} may run as root (set securityContext.runAsNonRoot)`);
      }
    }
    if (o.kind === 'Deployment') {
      for (const c of pod.containers ?? []) {
        if (c.readinessProbe?.httpGet?.path !== '/health/ready') {
          add(o, `container ${c.name} readinessProbe must be httpGet /health/ready`);
        }
        if (c.livenessProbe?.httpGet?.path !== '/health')
          add(o, `container ${c.name} livenessProbe must be httpGet /health`);
      }
    }
    const gpu = containersOf(o).some((c) => c.resources?.limits?.['nvidia.com/gpu'] !== undefined);
    if (isCudaPool(o)) {
      if (!pod.nodeSelector || Object.keys(pod.nodeSelector).length === 0) add(o, 'CUDA pool has no nodeSelector');
      if (!(pod.tolerations ?? []).some((t) => t.key === 'nvidia.com/gpu'))
        add(o, 'CUDA pool has no nvidia.com/gpu toleration');
      if (!containersOf(o).every((c) => Number(c.resources?.limits?.['nvidia.com/gpu']) >= 1)) {
        add(o, 'CUDA pool container has no nvidia.com/gpu limit');
      }
    } else if (gpu) {
      add(o, 'requests nvidia.com/gpu but is not a CUDA pool (WORKER_GPU=cuda)');
    }
  }
  if (expect.cudaPool && !objects.some(isCudaPool)) add(null, 'no CUDA inference pool in this overlay');

  // 3. References: rendered, or listed as operator-provided (with the key).
  const opSecrets = operator?.secrets ?? {};
  const opConfigMaps = operator?.configMaps ?? {};
  const opClaims = operator?.persistentVolumeClaims ?? {};
  for (const o of objects) {
    for (const ref of references(o)) {
      const rendered = find(ref.kind, ref.name);
      if (rendered) {
        if (ref.key !== undefined) {
          const keys = new Set([...Object.keys(rendered.data ?? {}), ...Object.keys(rendered.stringData ?? {})]);
          if (!keys.has(ref.key)) add(o, `${ref.where}: ${ref.kind} ${ref.name} has no key ${ref.key}`);
        }
        continue;
      }
      const listed = { Secret: opSecrets, ConfigMap: opConfigMaps, PersistentVolumeClaim: opClaims }[ref.kind][
        ref.name
      ];
      if (!listed) {
        add(
          o,
          `${ref.where}: ${ref.kind} ${ref.name} is neither in the render nor listed in k8s/operator-provided.yaml`,
        );
      } else if (ref.key !== undefined && !(listed.keys ?? []).includes(ref.key)) {
        add(o, `${ref.where}: key ${ref.key} of ${ref.kind} ${ref.name} is not listed in k8s/operator-provided.yaml`);
      }
    }
  }

  // 4. Secrets are referenced, never inlined.
  for (const s of byKind('Secret')) {
    if (Object.keys(s.data ?? {}).length || Object.keys(s.stringData ?? {}).length) {
      add(s, 'carries literal data: Secrets are operator-provided (k8s/operator-provided.yaml), not in the manifests');
    }
  }

  // 5. Autoscaling targets exist, and the autoscaler alone owns their replicas.
  const scaled = new Map();
  for (const h of byKind('HorizontalPodAutoscaler')) {
    const ref = h.spec?.scaleTargetRef ?? {};
    const target = find(ref.kind, ref.name);
    if (!target) add(h, `scaleTargetRef ${ref.kind}/${ref.name} does not exist in the render`);
    else scaled.set(id(target), h);
  }
  for (const so of byKind('ScaledObject')) {
    const ref = so.spec?.scaleTargetRef ?? {};
    const target = find(ref.kind ?? 'Deployment', ref.name);
    if (!target) add(so, `scaleTargetRef ${ref.kind ?? 'Deployment'}/${ref.name} does not exist in the render`);
    else if (scaled.has(id(target))) add(so, `${id(target)} is already scaled by ${id(scaled.get(id(target)))}`);
    else scaled.set(id(target), so);
    for (const t of so.spec?.triggers ?? []) {
      if (t.type === 'prometheus' && (!t.metadata?.serverAddress || !t.metadata?.query || !t.metadata?.threshold)) {
        add(so, 'prometheus trigger needs serverAddress, query and threshold');
      }
      if (t.authenticationRef && !find('TriggerAuthentication', t.authenticationRef.name)) {
        add(so, `authenticationRef ${t.authenticationRef.name} does not exist in the render`);
      }
    }
    if (target && isCudaPool(target) && so.spec?.minReplicaCount !== 0)
      add(so, 'the CUDA pool must be allowed to scale to zero');
  }
  for (const [targetId, by] of scaled) {
    const target = objects.find((o) => id(o) === targetId);
    if (target?.spec?.replicas !== undefined) {
      add(target, `sets spec.replicas while ${id(by)} owns the replica count (every apply would reset it)`);
    }
  }
  for (const d of expect.base ? [] : byKind('Deployment').filter(isWorkerPool)) {
    const by = scaled.get(id(d));
    if (!by || by.kind !== 'ScaledObject') add(d, 'worker pool without a KEDA ScaledObject');
  }
  const gateway = find('Deployment', 'api-gateway');
  if (gateway && scaled.get(id(gateway))?.kind !== 'HorizontalPodAutoscaler') {
    add(gateway, 'the gateway has no HorizontalPodAutoscaler');
  }

  // 6. Services and ServiceMonitors point at something real.
  const podTemplates = objects.filter((o) => WORKLOADS.has(o.kind) && o.kind !== 'Job');
  for (const svc of byKind('Service')) {
    const pods = podTemplates.filter((w) => selects(svc.spec?.selector, w.spec?.template?.metadata?.labels));
    if (pods.length === 0) {
      add(svc, 'selects no workload');
      continue;
    }
    for (const p of svc.spec?.ports ?? []) {
      if (typeof p.targetPort !== 'string') continue;
      const ok = pods.every((w) => containersOf(w).some((c) => (c.ports ?? []).some((cp) => cp.name === p.targetPort)));
      if (!ok) add(svc, `targetPort ${p.targetPort} is not a named port of the pods it selects`);
    }
  }
  for (const sm of byKind('ServiceMonitor')) {
    const svcs = byKind('Service').filter((s) => selects(sm.spec?.selector, s.metadata?.labels));
    if (svcs.length === 0) add(sm, 'selects no Service');
    for (const ep of sm.spec?.endpoints ?? []) {
      for (const s of svcs) {
        if (ep.port && !(s.spec?.ports ?? []).some((p) => p.name === ep.port))
          add(sm, `Service ${s.metadata.name} has no port ${ep.port}`);
      }
    }
  }
  for (const pdb of byKind('PodDisruptionBudget')) {
    if (!podTemplates.some((w) => selects(pdb.spec?.selector, w.spec?.template?.metadata?.labels)))
      add(pdb, 'selects no workload');
  }
  for (const d of podTemplates) {
    if (!byKind('PodDisruptionBudget').some((pdb) => selects(pdb.spec?.selector, d.spec?.template?.metadata?.labels))) {
      add(d, 'has no PodDisruptionBudget');
    }
  }

  // 7. NetworkPolicies: default deny; only the gateway admits traffic from anywhere.
  const nps = byKind('NetworkPolicy');
  const denyAll = nps.some(
    (n) =>
      Object.keys(n.spec?.podSelector ?? {}).length === 0 &&
      ['Ingress', 'Egress'].every((t) => (n.spec?.policyTypes ?? []).includes(t)) &&
      !n.spec?.ingress?.length &&
      !n.spec?.egress?.length,
  );
  if (!denyAll) add(null, 'no default-deny NetworkPolicy (empty podSelector, Ingress and Egress, no rules)');
  for (const n of nps) {
    for (const rule of n.spec?.ingress ?? []) {
      if (rule.from?.length) continue;
      const pods = podTemplates.filter((w) => selects(n.spec.podSelector, w.spec?.template?.metadata?.labels));
      const others = pods.filter((w) => w.metadata.name !== 'api-gateway');
      if (others.length || Object.keys(n.spec.podSelector ?? {}).length === 0) {
        add(
          n,
          `admits traffic from anywhere to ${others.map(id).join(', ') || 'every pod'}: only the gateway may be public`,
        );
      }
    }
  }

  // 8. Redis keeps its data and never evicts.
  const redis = find('StatefulSet', 'redis');
  if (redis) {
    if (!(redis.spec?.volumeClaimTemplates ?? []).length)
      add(redis, 'has no volumeClaimTemplates: its data would not survive');
    const confText = [
      ...containersOf(redis).flatMap((c) => [...(c.command ?? []), ...(c.args ?? [])]),
      ...references(redis)
        .filter((r) => r.kind === 'ConfigMap')
        .flatMap((r) => Object.values(find('ConfigMap', r.name)?.data ?? {})),
    ].join('\n');
    if (!/appendonly\s+yes/.test(confText)) add(redis, 'append-only file is not enabled (appendonly yes)');
    if (!/maxmemory-policy\s+noeviction/.test(confText)) add(redis, 'maxmemory-policy is not noeviction (BullMQ)');
  }
  return problems;
}

/** Checks the operator's Secret template against k8s/operator-provided.yaml (same names, same keys) and the schema. */
export async function validateSecretTemplate(file, operator) {
  const problems = [];
  const objects = loadManifests(file);
  for (const o of objects) {
    const cls = await modelClass(o.apiVersion, o.kind);
    if (!cls) problems.push(`${id(o)}: no schema`);
    else {
      try {
        new cls(o).validate();
      } catch (err) {
        problems.push(`${id(o)}: schema: ${err.message}`);
      }
    }
  }
  for (const [name, { keys = [] }] of Object.entries(operator?.secrets ?? {})) {
    const s = objects.find((o) => o.kind === 'Secret' && o.metadata?.name === name);
    if (!s) {
      problems.push(`Secret ${name} is operator-provided but has no template in ${file}`);
      continue;
    }
    const have = new Set([...Object.keys(s.stringData ?? {}), ...Object.keys(s.data ?? {})]);
    for (const k of keys) if (!have.has(k)) problems.push(`Secret ${name}: the template lacks key ${k}`);
    for (const k of have)
      if (!keys.includes(k)) problems.push(`Secret ${name}: key ${k} is not listed in operator-provided.yaml`);
  }
  return problems;
}

export function loadOperatorProvided(k8sDir) {
  const file = join(k8sDir, 'operator-provided.yaml');
  return existsSync(file) ? parseYaml(readFileSync(file, 'utf8')) : {};
}
