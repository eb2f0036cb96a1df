/**
 * The test-helper convention, kept by a test rather than by memory: helpers live in a `testing/` folder beside the
 * code they serve, and a workspace's tests reach another workspace's helpers through its `./testing` export
 * (`@qoltanba/pki/testing`, …), never by a relative path into its `src`. Only the root `test/support` (the NCA
 * fixtures every workspace reads) is reached by path.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const workspaces = ['apps', 'packages'].flatMap((top) => readdirSync(join(root, top)).map((name) => join(top, name)));

function sources(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) => {
    if (e.name === 'node_modules') return [];
    const path = join(dir, e.name);
    return e.isDirectory() ? sources(path) : e.name.endsWith('.ts') ? [path] : [];
  });
}
const files = workspaces.flatMap((w) => sources(join(w, 'src')).map((file) => ({ workspace: w, file })));

test('test helpers sit in testing/ folders, not beside the code as test-*.ts, *.test-support.ts or testing.ts', () => {
  const helperName = /^(test-.*|.*\.test-support|.*test-helpers?|testing(-.*)?)\.ts$/;
  const stray = files.filter(({ file }) => helperName.test(file.split(sep).pop()!) && !file.split(sep).includes('testing')).map((f) => f.file);
  assert.deepEqual(stray, []);
});

test("no workspace imports another workspace's src by a relative path (its package exports, ./testing included, instead)", () => {
  const crossing: string[] = [];
  for (const { workspace, file } of files) {
    for (const m of readFileSync(join(root, file), 'utf8').matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)) {
      const target = relative(root, resolve(root, dirname(file), m[1]!));
      if (!target.startsWith(workspace + sep) && !target.startsWith(join('test', 'support') + sep)) crossing.push(`${file} → ${target}`);
    }
  }
  assert.deepEqual(crossing, []);
});
