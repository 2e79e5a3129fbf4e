import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { ConfigError } from './env';

const ENV_REF = /\$\{([A-Z0-9_]+)(?::-([^}]*))?\}/g;

/**
 * Reads a YAML file, replacing `${VAR}` and `${VAR:-default}` with environment values first, so one file serves
 * every environment and any value can be overridden without editing it.
 */
export function readYamlWithEnv(path: string, env: NodeJS.ProcessEnv): unknown {
  let raw: string;
  try {
    raw = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`Cannot read config file ${path}: ${(err as Error).message}`);
  }
  const missing: string[] = [];
  const text = raw.replace(ENV_REF, (_m, name: string, fallback: string | undefined) => {
    const value = env[name];
    if (value !== undefined && value !== '') return value;
    if (fallback !== undefined) return fallback;
    missing.push(name);
    return '';
  });
  if (missing.length) throw new ConfigError(`${path} references unset environment variables: ${missing.join(', ')}`);
  try {
    return parse(text);
  } catch (err) {
    throw new ConfigError(`Invalid YAML in ${path}: ${(err as Error).message}`);
  }
}
