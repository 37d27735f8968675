import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { findRepoRoot } from '../helpers/repo-root.js';

const root = findRepoRoot();
const json = (file: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(root, file), 'utf8')) as Record<string, unknown>;

/** True when `path` (relative to the root) is `dist` or inside it. */
const insideDist = (path: string): boolean => {
  const rel = relative(join(root, 'dist'), resolve(root, path));
  return rel === '' || (!rel.startsWith('..') && !rel.startsWith(sep));
};

describe('the test build', () => {
  it('compiles into its own folder, never into dist/ where a running proxy lives', () => {
    const config = json('tsconfig.test.json');
    const outDir = (config.compilerOptions as { outDir?: string } | undefined)?.outDir;
    assert.ok(outDir !== undefined, 'tsconfig.test.json sets its own outDir');
    assert.ok(!insideDist(outDir), `outDir ${outDir} is outside dist/`);
  });

  it('is what these tests run from', () => {
    const here = fileURLToPath(import.meta.url);
    assert.ok(!insideDist(relative(root, here)), `${here} is not under dist/`);
  });

  it('leaves dist/ alone in npm test and npm run test:unit', () => {
    const scripts = json('package.json').scripts as Record<string, string>;
    for (const name of ['test', 'test:unit']) {
      const script = scripts[name] ?? '';
      assert.ok(script.includes('tsconfig.test.json'), `${name} builds with tsconfig.test.json`);
      assert.doesNotMatch(script, /\bdist\b/, `${name} never names dist/`);
      assert.doesNotMatch(
        script,
        /tsc -p tsconfig\.json|npm run build/,
        `${name} never builds dist/`,
      );
    }
  });
});
