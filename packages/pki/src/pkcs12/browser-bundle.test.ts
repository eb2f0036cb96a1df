import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

test('the pkcs12 module bundles for a browser with no Node built-in, taking only the cipher core of node-forge', async () => {
  // platform "browser" makes any node: or built-in import (fs, crypto, …) a resolution error.
  const result = await build({
    entryPoints: [fileURLToPath(new URL('./index.ts', import.meta.url))],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const forgeModules = Object.keys(result.metafile.inputs)
    .filter((path) => path.includes('node-forge/'))
    .map((path) => path.slice(path.lastIndexOf('/') + 1))
    .sort();
  assert.deepEqual(forgeModules, ['baseN.js', 'cipher.js', 'cipherModes.js', 'des.js', 'forge.js', 'rc2.js', 'util.js']);
});
