/**
 * TEST SUPPORT ONLY: a separate process that generates a full CRL and stops dead in the middle of it, so
 * the crash test can kill -9 a process holding the CRL transaction. Inputs come in QT_CRL_CHILD (JSON).
 * Prints "paused <entries>" once it has streamed `pauseAt` entries, then waits forever.
 */
import { defaultConfig } from '../../config.ts';
import { silentLogger } from '../../context.ts';
import { InProcessSignerProvider } from '../../signer/in-process.ts';
import { openDatabase, type OpenDatabaseOptions } from '../../store/index.ts';
import { createStatusService } from '../service.ts';

interface ChildInput {
  open: OpenDatabaseOptions;
  keys: { soft: { dir: string; passphraseEnv: string } };
  caId: number;
  pauseAt: number;
}

const input = JSON.parse(process.env.QT_CRL_CHILD ?? '') as ChildInput;
const store = await openDatabase(input.open);
const signers = new InProcessSignerProvider(input.keys);
const service = createStatusService({ config: defaultConfig('/nonexistent-qoltanba-home'), store, signers, log: silentLogger, now: () => new Date() });
await service.generateCrl(input.caId, 'full', {
  onProgress: async (entries) => {
    if (entries < input.pauseAt) return;
    process.stdout.write(`paused ${entries}\n`);
    setInterval(() => {}, 1 << 30); // keeps the process alive while it "hangs"
    await new Promise(() => {});
  },
});
process.stdout.write('finished\n');
await store.close();
