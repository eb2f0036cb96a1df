#!/usr/bin/env node
// Entry point for `npx qoltanba` / the installed bin: TypeScript sources run through tsx, no build step.
import { register } from 'tsx/esm/api';
register();
await import('../src/main.ts');
