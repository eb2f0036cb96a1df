import type { Command } from 'commander';
import type { CliContext } from '../context.ts';

export type ContextFactory = () => CliContext;

export function registerCommands(_program: Command, _context: ContextFactory): void {}
