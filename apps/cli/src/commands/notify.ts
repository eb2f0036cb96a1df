/**
 * `qoltanba notify run | status | retry`: expiry reminders from the operator's side. `run` does one scan and
 * delivery pass with the transports of the server configuration (for cron-driven setups and for checking a
 * configuration); `status` counts messages per channel and state and shows the dead letters; `retry` puts
 * failed (or undelivered) reminders back in the queue, audited under the operator's name.
 */
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { QtError } from '@qoltanba/pki';
import { loadServerConfig, notify, storedPublicUrl } from '@qoltanba/server';
import type { ContextFactory } from './index.ts';
import { printResult, type Row } from '../output.ts';
import { withHomeStore } from '../home-store.ts';

export function registerNotify(program: Command, context: ContextFactory): void {
  const cmd = program.command('notify').description('expiry reminders: SMS through the mobile-citizens registry, and e-mail');

  cmd
    .command('run')
    .description('find due reminders and deliver what is due, once, with the configured transports')
    .option('--no-scan', 'only deliver what is already in the outbox')
    .option('--now <time>', 'treat this ISO time as now when finding due reminders')
    .option('--wait-receipts <seconds>', 'stay bound this long for SMS delivery receipts', '0')
    .action(async (flags: { scan: boolean; now?: string; waitReceipts: string }) => {
      const ctx = context();
      const now = flags.now === undefined ? undefined : new Date(flags.now);
      if (now && Number.isNaN(now.getTime())) throw new QtError('QT_ERR_INPUT_INVALID', `--now "${flags.now}" is not an ISO time`);
      const wait = Number(flags.waitReceipts);
      if (!(wait >= 0)) throw new QtError('QT_ERR_INPUT_INVALID', '--wait-receipts must be a number of seconds');
      const config = loadServerConfig({ home: ctx.home });
      const settings = notify.resolveNotifySettings(config.notify, { publicUrl: config.publicUrl });
      const log = notify.lineLog((line) => ctx.err.write(line + '\n'));
      const sms = settings.sms ? notify.createSmsGateway(settings.sms, { log }) : undefined;
      const mail = settings.mail ? notify.createMailer(settings.mail, { log }) : undefined;
      try {
        const result = await withHomeStore(ctx, async (store) => {
          // Reminders name the portal at the installation's stored public address, not this process's default.
          const stored = config.notify.portalUrl ? undefined : await storedPublicUrl(store.db);
          const notifier = new notify.Notifier({ db: store.db, settings: stored ? { ...settings, portalUrl: stored } : settings, sms, mail, log });
          try {
            const pass = await notifier.pass({ scan: flags.scan, ...(now && { now }) });
            if (wait > 0) await new Promise((r) => setTimeout(r, wait * 1000));
            await notifier.receiptsSettled();
            return pass;
          } finally {
            await notifier.stop();
          }
        });
        const created = (s: notify.ScanResult | undefined) => (s ? Object.values(s.created).reduce((a, b) => a + b, 0) : 0);
        const rows: Row[] = [
          ['Due found', result.scan ? `SMS ${created(result.scan.sms)} reminders in ${result.scan.sms.messages} messages, e-mail ${created(result.scan.email)} in ${result.scan.email.messages}` : 'not scanned (--no-scan)'],
          ['Delivered', `${result.delivery.sent} sent, ${result.delivery.retried} to retry, ${result.delivery.failed} failed, ${result.delivery.skipped} skipped (of ${result.delivery.claimed})`],
          ['Interrupted sends', `${result.lapsed.provenByReceipt} proven by receipt, ${result.lapsed.retried} sent again, ${result.lapsed.neverSent} never sent`],
          ['Transports', `SMS ${settings.sms?.type ?? 'none'}, e-mail ${settings.mail?.type ?? 'none'}`],
        ];
        printResult(ctx, result, rows);
      } finally {
        await sms?.close();
        await mail?.close();
      }
    });

  cmd
    .command('status')
    .description('reminder messages per channel and state, why some were skipped or failed, and the latest dead letters')
    .action(async () => {
      const ctx = context();
      const status = await withHomeStore(ctx, (store) => notify.outboxStatus(store.db));
      const line = (c: notify.NotifyChannel) => notify.MESSAGE_STATES.map((s) => `${s} ${status.counts[c][s]}`).join(', ');
      const rows: Row[] = [
        ['SMS', line('sms')],
        ['E-mail', line('email')],
        ['Reminders', status.reminders],
        ['Oldest due', status.oldestDuePending?.toISOString()],
        ...status.reasons.map((r): Row => [`${r.channel} ${r.state}`, `${r.count} × ${r.code}`]),
        ...status.recentFailures.map((f): Row => [`failed #${f.id}`, `${f.channel} to ${f.destination ?? '?'} after ${f.attempts} attempt(s): ${f.code} ${f.error ?? ''}`.trim()]),
      ];
      printResult(ctx, status, rows);
    });

  cmd
    .command('retry')
    .description('send failed (or undelivered) reminders again: name their ids, or --all-failed')
    .argument('[ids...]', 'message ids, as `notify status` shows them')
    .option('--all-failed', 'every failed message')
    .option('--channel <channel>', 'only sms or email')
    .action(async (ids: string[], flags: { allFailed?: boolean; channel?: string }) => {
      const ctx = context();
      if (flags.channel !== undefined && flags.channel !== 'sms' && flags.channel !== 'email') throw new QtError('QT_ERR_INPUT_INVALID', '--channel is sms or email');
      const retried = await withHomeStore(ctx, (store) =>
        notify.retryMessages(store.db, { ids, allFailed: Boolean(flags.allFailed), ...(flags.channel && { channel: flags.channel as notify.NotifyChannel }) }, `operator:${userInfo().username}`),
      );
      printResult(ctx, { retried }, [['Queued again', retried.length ? retried.join(', ') : 'nothing']]);
    });
}
