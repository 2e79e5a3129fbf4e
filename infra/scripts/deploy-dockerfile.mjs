// Dockerfile checks of `npm run k8s:validate` (hadolint-style, offline, parsed with dockerfile-ast): multi-stage,
// every base image pinned (no `latest`, no bare name), stages referenced by COPY --from exist, the final stages
// (those no other stage builds on) run as a non-root USER with a HEALTHCHECK and an exec-form CMD, apt-get installs
// without recommends and cleans its lists in the same layer, no ADD of URLs, no `chown -R` layers.
import { readFileSync } from 'node:fs';
import { DockerfileParser } from 'dockerfile-ast';

const line = (ins) => ins.getInstructionRange().start.line + 1;

function substitute(text, args) {
  return text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (m, a, def, b) => {
    const name = a ?? b;
    return args.has(name) ? args.get(name) : (def ?? m);
  });
}

/** Problems in one Dockerfile (strings naming the line). `finalStages` overrides which stages are final. */
export function validateDockerfile(file, { finalStages } = {}) {
  const text = readFileSync(file, 'utf8');
  const df = DockerfileParser.parse(text);
  const problems = [];
  const add = (ins, msg) => problems.push(`${file}:${ins ? line(ins) : 1}: ${msg}`);

  // Global ARGs (before the first FROM) with defaults resolve base image names.
  const globalArgs = new Map();
  for (const a of df.getInitialARGs()) {
    const p = a.getProperty();
    if (p?.getName()) globalArgs.set(p.getName(), p.getValue() ?? '');
  }

  const stages = [];
  let current = null;
  for (const ins of df.getInstructions()) {
    const kw = ins.getKeyword();
    const args = ins.getArgumentsContent() ?? '';
    if (kw === 'FROM') {
      const parts = args.split(/\s+/).filter((p) => !p.startsWith('--'));
      const image = substitute(parts[0] ?? '', globalArgs);
      const name = /^as$/i.test(parts[1] ?? '') ? parts[2] : null;
      current = { name, image, from: ins, instructions: [], user: null, healthcheck: null, cmd: null };
      stages.push(current);
      if (name && stages.filter((s) => s.name === name).length > 1) add(ins, `stage name ${name} is used twice`);
      continue;
    }
    if (!current) continue;
    current.instructions.push(ins);
    if (kw === 'USER') current.user = { value: args.trim(), ins };
    if (kw === 'HEALTHCHECK') current.healthcheck = ins;
    if (kw === 'CMD' || kw === 'ENTRYPOINT') current.cmd = { ins, exec: args.trim().startsWith('[') };
  }

  if (stages.length < 2) add(null, 'not a multi-stage build (build tools would ship in the image)');
  const names = new Set(stages.map((s) => s.name).filter(Boolean));
  const usedAsBase = new Set();
  for (const s of stages) {
    if (names.has(s.image)) {
      usedAsBase.add(s.image);
      continue;
    }
    const last = s.image.split('/').pop();
    if (s.image.includes('${') || s.image.includes('$'))
      add(s.from, `base image ${s.image} has an ARG without a default`);
    else if (!/[:@]/.test(last)) add(s.from, `base image ${s.image} has no tag (pin one)`);
    else if (/:latest$/.test(s.image)) add(s.from, `base image ${s.image} uses the latest tag`);
  }
  for (const s of stages) {
    for (const ins of s.instructions) {
      const kw = ins.getKeyword();
      const args = ins.getArgumentsContent() ?? '';
      if (kw === 'COPY') {
        const from = ins.getFromFlag?.()?.getValue() ?? undefined;
        if (from && !/^\d+$/.test(from) && !names.has(from) && !from.includes('/') && !from.includes(':')) {
          add(ins, `COPY --from=${from}: no such stage`);
        }
        if (from && names.has(from)) usedAsBase.add(from);
      }
      if (kw === 'ADD' && /\bhttps?:\/\//.test(args))
        add(ins, 'ADD of a URL: download in a RUN with a checksum instead');
      if (kw === 'RUN') {
        if (/\bapt-get\s+(-\S+\s+)*install\b/.test(args)) {
          if (!/--no-install-recommends/.test(args)) add(ins, 'apt-get install without --no-install-recommends');
          if (!/rm -rf \/var\/lib\/apt\/lists/.test(args))
            add(ins, 'apt-get install without removing /var/lib/apt/lists in the same RUN');
        }
        if (/\bsudo\b/.test(args)) add(ins, 'sudo in a RUN');
        if (/\bchown\s+-R\b/.test(args)) add(ins, 'chown -R copies every file into a new layer: use COPY --chown');
        if (/\bapt-get\s+upgrade\b/.test(args)) add(ins, 'apt-get upgrade: pin a newer base image instead');
      }
      if (kw === 'WORKDIR' && !args.trim().startsWith('/')) add(ins, `WORKDIR ${args.trim()} is not absolute`);
    }
  }
  const finals = finalStages
    ? stages.filter((s) => finalStages.includes(s.name))
    : stages.filter((s) => !s.name || !usedAsBase.has(s.name));
  if (finalStages && finals.length !== finalStages.length)
    add(null, `final stages ${finalStages.join(', ')} not all found`);
  for (const s of finals) {
    const label = `final stage ${s.name ?? '(unnamed)'}`;
    if (!s.user) add(s.from, `${label} has no USER: it would run as root`);
    else if (/^(root|0)(:|$)/.test(s.user.value)) add(s.user.ins, `${label} runs as root`);
    if (!s.healthcheck) add(s.from, `${label} has no HEALTHCHECK`);
    else if (/^NONE$/i.test((s.healthcheck.getArgumentsContent() ?? '').trim()))
      add(s.healthcheck, `${label} disables HEALTHCHECK`);
    if (!s.cmd) add(s.from, `${label} has no CMD or ENTRYPOINT`);
    else if (!s.cmd.exec) add(s.cmd.ins, `${label}: CMD in shell form (SIGTERM would reach a shell, not node)`);
  }
  return { problems, stages: stages.map((s) => s.name ?? s.image), finals: finals.map((s) => s.name ?? s.image) };
}
