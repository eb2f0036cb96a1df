/**
 * A bench file run directly (`node --import tsx bench/ocsp.ts …`) rather than through bench/run.ts: `--help` prints
 * the file's opening comment — what it measures, its options — instead of starting a run that takes minutes.
 */
import { readFileSync } from 'node:fs';

export async function runDirectly(file: string, run: () => Promise<void>): Promise<void> {
  if (process.argv[1] !== file) return;
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    const comment = /^\/\*\*([\s\S]*?)\*\//.exec(readFileSync(file, 'utf8'))?.[1] ?? '';
    process.stdout.write(`${comment.split('\n').map((l) => l.replace(/^ \*( |$)/, '')).join('\n').trim()}\n`);
    return;
  }
  await run();
}
