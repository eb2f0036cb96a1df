/**
 * The one place the CLI turns failures into what a person or a script sees: a QtError prints its stable code and
 * plain message (JSON under --json) and exits 1; usage mistakes exit 2; anything else is an internal error (exit 70)
 * whose stack is shown only with QOLTANBA_DEBUG=1.
 */
import { CommanderError } from 'commander';
import { QtError } from '@qoltanba/pki';
import type { CliContext } from './context.ts';
import { toJson } from './output.ts';

export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
export const EXIT_INTERNAL = 70;

export function reportError(e: unknown, ctx: Pick<CliContext, 'json' | 'err' | 'out'>): number {
  if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : EXIT_USAGE;
  if (e instanceof QtError) {
    if (ctx.json) ctx.out.write(toJson({ ok: false, error: e.toJSON() }) + '\n');
    else ctx.err.write(`error ${e.code}: ${e.message}\n`);
    return EXIT_FAILURE;
  }
  const message = e instanceof Error ? e.message : String(e);
  if (ctx.json) ctx.out.write(toJson({ ok: false, error: { code: 'QT_ERR_INTERNAL', message } }) + '\n');
  else ctx.err.write(`internal error: ${message}\n`);
  if (process.env.QOLTANBA_DEBUG === '1' && e instanceof Error && e.stack) ctx.err.write(e.stack + '\n');
  return EXIT_INTERNAL;
}
