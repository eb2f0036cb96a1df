/**
 * What `--help` shows besides the options: every command ends with examples (help.test.ts walks the whole
 * command tree to keep it so), and a usage mistake prints one line plus where to read more.
 */
import type { Command } from 'commander';

/** Appends an "Examples:" section; each entry is a command line, optionally with a comment shown above it. */
export function withExamples(cmd: Command, examples: ReadonlyArray<string | readonly [comment: string, line: string]>): Command {
  const lines = examples.map((e) => (typeof e === 'string' ? `  $ ${e}` : `  # ${e[0]}\n  $ ${e[1]}`));
  return cmd.addHelpText('after', `\nExamples:\n${lines.join('\n')}`);
}

/** "qoltanba token create" for a command deep in the tree. */
export function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

export function helpHint(cmd: Command): string {
  return `(run '${commandPath(cmd)} --help' for its options and examples)`;
}
