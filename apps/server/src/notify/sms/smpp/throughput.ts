/**
 * Measures SMS submitted per second through SmppSmsGateway to a local SMPP server running in a separate
 * process (so the server's CPU is not charged to the adapter, as in the in-process test):
 *   node --import tsx apps/server/src/notify/sms/smpp/throughput.ts [count=20000] [windows=1,10,50]
 * The server answers every submit_sm at once; the number is the adapter's ceiling, not an SMSC's contract.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { SmppSmsGateway } from './smpp-gateway.ts';
import { TestSmsc } from './test-smsc.ts';

if (process.argv[2] === '--serve') {
  const smsc = await TestSmsc.start();
  process.send?.({ port: smsc.port });
} else {
  const count = Number(process.argv[2] ?? 20_000);
  const windows = (process.argv[3] ?? '1,10,50').split(',').map(Number);
  const child = fork(fileURLToPath(import.meta.url), ['--serve'], { execArgv: ['--import', 'tsx'] });
  const port = await new Promise<number>((resolve) => child.once('message', (m: { port: number }) => resolve(m.port)));
  try {
    for (const window of windows) {
      const gateway = new SmppSmsGateway({ type: 'smpp', host: '127.0.0.1', port, systemId: 'qoltanba', password: 'secret', source: 'Qoltanba', window });
      await gateway.ready();
      const started = process.hrtime.bigint();
      let next = 0;
      // Keep a bounded number of sends open (as the outbox worker will), not `count` promises at once.
      const worker = async () => {
        while (next < count) {
          const i = next++;
          await gateway.send({ to: '+77011234567', text: `Код: ${100000 + (i % 900000)} на 5 мин. Никому не сообщайте. Вход в Личный кабинет.` });
        }
      };
      await Promise.all(Array.from({ length: window * 2 }, worker));
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      console.log(`window ${String(window).padStart(3)}: ${count} single-part UCS-2 SMS in ${seconds.toFixed(2)} s = ${Math.round(count / seconds)} SMS/s`);
      await gateway.close();
    }
  } finally {
    child.kill();
  }
}
