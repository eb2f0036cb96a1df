/**
 * TEST SUPPORT ONLY: a process that revokes a certificate through the real RA and then dies before it can
 * ask for the delta CRL — its status hook prints "committed" (the hook runs after COMMIT) and hangs until
 * the test kills it with SIGKILL. Inputs come in QT_REVOKE_CHILD (JSON).
 */
import { openDatabase, type OpenDatabaseOptions } from '../../store/index.ts';
import { caFixture } from '../../ra/testing/fixture.ts';
import { createRa } from '../../ra/ra.ts';
import { revoke } from '../../ra/revoke.ts';

interface ChildInput {
  open: OpenDatabaseOptions;
  home: string;
  ca: string;
  serial: string;
}

const input = JSON.parse(process.env.QT_REVOKE_CHILD ?? '') as ChildInput;
const store = await openDatabase(input.open);
const fx = await caFixture(store, { home: input.home, statusHooks: false });
const ra = createRa(fx.ctx, {
  hooks: {
    afterIssue: async () => undefined,
    async afterStatusChange() {
      process.stdout.write('committed\n');
      setInterval(() => {}, 1 << 30); // keeps the process alive while it "hangs"
      await new Promise(() => {});
    },
  },
});
await revoke(ra, { ca: input.ca, serial: input.serial, reason: 'keyCompromise', actor: 'operator:test' });
process.stdout.write('finished\n');
