import type { Command } from 'commander';
import type { CliContext } from '../context.ts';
import { registerVerify } from './verify/index.ts';

export type ContextFactory = () => CliContext;

export function registerCommands(program: Command, context: ContextFactory): void {
  registerVerify(program, context);
}
