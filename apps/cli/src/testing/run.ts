/** Runs the CLI in-process and captures what it prints, for tests. */
import { PassThrough } from 'node:stream';
import { runCli } from '../program.ts';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** `cwd`: the directory the command is "typed in" (relative paths resolve against it); default process.cwd(). */
export async function runQoltanba(args: string[], env: NodeJS.ProcessEnv = process.env, options: { cwd?: string } = {}): Promise<CliRun> {
  const out = new PassThrough();
  const err = new PassThrough();
  const chunks = { out: [] as Buffer[], err: [] as Buffer[] };
  out.on('data', (c: Buffer) => chunks.out.push(c));
  err.on('data', (c: Buffer) => chunks.err.push(c));
  const code = await runCli(args, { out, err, env, cwd: options.cwd });
  return { code, stdout: Buffer.concat(chunks.out).toString('utf8'), stderr: Buffer.concat(chunks.err).toString('utf8') };
}
