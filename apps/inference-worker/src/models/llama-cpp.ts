import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * node-llama-cpp is an ES module with top-level await, which CommonJS cannot `require`. It is loaded once with a
 * dynamic import (kept as `import()` by the build) and handed around as this value.
 */
export type LlamaCpp = typeof import('node-llama-cpp');

let loading: Promise<LlamaCpp> | undefined;

export function loadLlamaCpp(): Promise<LlamaCpp> {
  loading ??= import('node-llama-cpp').then(async (lib) => {
    await fixGrammarTerminals();
    return lib;
  });
  return loading;
}

/**
 * node-llama-cpp 3.x's JSON-schema grammar admits values its schema does not: an `integer` may carry an exponent
 * (`1e-5`, not an integer), a `number`'s exponent of up to 16 digits reaches Infinity (which JSON cannot hold), and
 * a `date` may be 2023-02-31. Always-valid output needs these closed, and the grammar terminals are not
 * configurable, so two rules are replaced here: integers are plain digits, numbers keep an exponent of at most two
 * digits, and dates are real calendar days (February up to the 28th: the grammar cannot know leap years). The
 * classes are loaded from the files node-llama-cpp itself uses (one module instance each), found beside its entry
 * point because the package exports only its index. The tools e2e suite's validity tests fail if this stops
 * applying.
 */
async function fixGrammarTerminals(): Promise<void> {
  const terminals = join(dirname(require.resolve('node-llama-cpp')), 'utils', 'gbnfJson', 'terminals');
  const load = (name: string) => import(pathToFileURL(join(terminals, `${name}.js`)).href) as Promise<unknown>;
  const { GbnfNumber } = (await load('GbnfNumber')) as {
    GbnfNumber: { prototype: { getGrammar(): string } };
  };
  GbnfNumber.prototype.getGrammar = function (this: { allowFractional: boolean }) {
    const num = '"-"? ("0" | [1-9] [0-9]{0,15})';
    return this.allowFractional ? `${num} ("." [0-9]{1,16})? ([eE] [-+]? [0-9]{1,2})?` : num;
  };
  const { GbnfFormatString } = (await load('GbnfFormatString')) as {
    GbnfFormatString: { prototype: { _getDateGrammar(): string } };
  };
  GbnfFormatString.prototype._getDateGrammar = () =>
    '[0-9]{4} "-" ( ("0" [13578] | "1" [02]) "-" ("0" [1-9] | [12] [0-9] | "3" [01]) | ' +
    '("0" [469] | "11") "-" ("0" [1-9] | [12] [0-9] | "30") | "02-" ("0" [1-9] | "1" [0-9] | "2" [0-8]) )';
}
