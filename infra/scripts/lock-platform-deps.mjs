// Completes package-lock.json with the platform-specific optional packages of every dependency (swc, nx,
// node-llama-cpp, argon2…). npm 11.19 records only the host platform's variants when it writes the lockfile, yet
// `npm ci` insists on all of them ("Missing: @swc/core-darwin-arm64@ from lock file"). Run after any
// `npm install` that changes the lockfile: `node infra/scripts/lock-platform-deps.mjs`.
// Written by hand because no npm option makes the lockfile complete (see npm/cli#4828, #8805).
import { readFileSync, writeFileSync } from 'node:fs';

const lockPath = 'package-lock.json';
const lock = JSON.parse(readFileSync(lockPath, 'utf8'));
const packages = lock.packages;
const registry = (process.env.npm_config_registry ?? 'https://registry.npmjs.org').replace(/\/$/, '');

const wanted = new Map();
for (const [path, entry] of Object.entries(packages)) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    // npm resolves a dependency next to its parent first, then at the top level.
    const nested = `${path ? path + '/' : ''}node_modules/${name}`;
    const top = `node_modules/${name}`;
    if (packages[nested] || packages[top]) continue;
    if (!/^\d+\.\d+\.\d+(-[\w.]+)?$/.test(version)) {
      console.warn(`skipping ${name}@${version}: not an exact version`);
      continue;
    }
    wanted.set(top, { name, version, dev: Boolean(entry.dev), devOptional: Boolean(entry.devOptional) });
  }
}

let added = 0;
for (const [key, { name, version, dev, devOptional }] of wanted) {
  const res = await fetch(`${registry}/${name.replace('/', '%2F')}`);
  const doc = res.ok ? await res.json() : null;
  // Mirrors may hold only some versions of other platforms' packages: the platform fields (all npm ci needs to
  // skip a package on this machine) are then taken from any version, and the tarball URL is the registry's usual.
  const meta = doc?.versions?.[version] ?? Object.values(doc?.versions ?? {}).at(-1);
  if (!meta) {
    console.warn(`skipping ${name}@${version}: not in the registry`);
    continue;
  }
  const exact = meta.version === version;
  const tarball = `${registry}/${name}/-/${name.split('/').pop()}-${version}.tgz`;
  const entry = exact
    ? { version, resolved: meta.dist.tarball, integrity: meta.dist.integrity }
    : { version, resolved: tarball };
  for (const field of ['cpu', 'os', 'libc', 'license', 'engines']) if (meta[field]) entry[field] = meta[field];
  if (dev) entry.dev = true;
  if (devOptional && !dev) entry.devOptional = true;
  entry.optional = true;
  packages[key] = entry;
  added++;
}

lock.packages = Object.fromEntries(
  Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))),
);
writeFileSync(lockPath, JSON.stringify(lock, null, 2) + '\n');
console.log(`added ${added} platform package entries to ${lockPath}`);
