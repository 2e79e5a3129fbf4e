import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from './env';
import { readYamlWithEnv } from './yaml-file';

describe('readYamlWithEnv', () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'llmp-yaml-'));
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  function file(name: string, text: string): string {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  }

  it('replaces ${VAR} with the environment value before parsing, so numbers stay numbers', () => {
    const path = file('plain.yaml', 'name: ${MODEL_NAME}\nslots: ${SLOTS}\n');
    expect(readYamlWithEnv(path, { MODEL_NAME: 'stories', SLOTS: '8' })).toEqual({ name: 'stories', slots: 8 });
  });

  it('uses the default of ${VAR:-default} when the variable is unset or empty', () => {
    const path = file('defaults.yaml', 'dir: ${MODELS_DIR:-../shared/models}\nctx: ${CTX:-2048}\n');
    expect(readYamlWithEnv(path, {})).toEqual({ dir: '../shared/models', ctx: 2048 });
    expect(readYamlWithEnv(path, { MODELS_DIR: '', CTX: '' })).toEqual({ dir: '../shared/models', ctx: 2048 });
  });

  it('prefers a set variable over the default', () => {
    const path = file('override.yaml', 'dir: ${MODELS_DIR:-../shared/models}\n');
    expect(readYamlWithEnv(path, { MODELS_DIR: '/srv/models' })).toEqual({ dir: '/srv/models' });
  });

  it('accepts an empty default (${VAR:-})', () => {
    const path = file('empty-default.yaml', 'suffix: "${SUFFIX:-}"\n');
    expect(readYamlWithEnv(path, {})).toEqual({ suffix: '' });
  });

  it('replaces several references on one line', () => {
    const path = file('several.yaml', 'url: ${SCHEME:-http}://${HOST}:${PORT:-80}\n');
    expect(readYamlWithEnv(path, { HOST: 'example' })).toEqual({ url: 'http://example:80' });
  });

  it('fails naming every unset variable that has no default', () => {
    const path = file('missing.yaml', 'a: ${FIRST_MISSING}\nb: ${SET_ONE}\nc: ${SECOND_MISSING}\nd: ${EMPTY_ONE}\n');
    let caught: unknown;
    try {
      readYamlWithEnv(path, { SET_ONE: 'x', EMPTY_ONE: '' });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const message = (caught as Error).message;
    expect(message).toContain(path);
    expect(message).toContain('FIRST_MISSING');
    expect(message).toContain('SECOND_MISSING');
    expect(message).toContain('EMPTY_ONE');
    expect(message).not.toContain('SET_ONE');
  });

  it('fails naming the path when the file cannot be read', () => {
    const path = join(dir, 'does-not-exist.yaml');
    expect(() => readYamlWithEnv(path, {})).toThrow(ConfigError);
    expect(() => readYamlWithEnv(path, {})).toThrow(path);
  });

  it('fails naming the path when the YAML is invalid', () => {
    const path = file('broken.yaml', 'models: [unclosed\n  - id: x\n');
    expect(() => readYamlWithEnv(path, {})).toThrow(ConfigError);
    expect(() => readYamlWithEnv(path, {})).toThrow(/Invalid YAML in .*broken\.yaml/);
  });
});
