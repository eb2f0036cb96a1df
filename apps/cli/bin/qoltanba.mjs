#!/usr/bin/env node
// Entry point for `npx qoltanba` / the installed bin: TypeScript sources run through tsx, no build step.
// The repository's tsconfig is named explicitly: tsx would otherwise look for one in the current directory,
// and an operator runs qoltanba from anywhere (decorators in @qoltanba/pki need its settings).
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';
register({ tsconfig: fileURLToPath(new URL('../../../tsconfig.json', import.meta.url)) });
await import('../src/main.ts');
