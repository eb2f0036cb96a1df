/**
 * `qoltanba notify run | status | retry`: expiry reminders from the operator's side. `run` does one scan and
 * delivery pass with the transports of the server configuration (for cron-driven setups and for checking a
 * configuration); `status` counts messages per channel and state and shows the dead letters; `retry` puts
 * failed (or undelivered) reminders back in the queue, audited under the operator's name.
 */
import { userInfo } from 'node:os';
import { Option, type Command } from 'commander';
import { loadServerConfig, notify, storedPublicUrl } from '@qoltanba/server';
import type { ContextFactory } from '../context.ts';
import { printResult, type Row } from '../output.ts';
import { withHomeStore } from '../home-store.ts';
import { withExamples } from '../help.ts';
import { dateArgument, secondsArgument } from '../arguments.ts';

export function registerNotify(program: Command, context: ContextFactory): void {
  const cmd = program.command('notify').description('expiry reminders: SMS through the mobile-citizens registry, and e-mail');
  withExamples(cmd, ['qoltanba notify status', 'qoltanba notify run']);

  const run = cmd
    .command('run')
    .description('find due reminders and deliver what is due, once, with the configured transports')
    .option('--no-scan', 'only deliver what is already in the outbox')
    .option('--now <time>', 'treat this ISO time as now when finding due reminders', dateArgument)
    .option('--wait-receipts <seconds>', 'stay bound this long for SMS delivery receipts', secondsArgument, 0)
    .action(async (flags: { scan: boolean; now?: Date; waitReceipts: number }) => {
      const ctx = context();
      const now = flags.now;
      const wait = flags.waitReceipts;
      // The transports are made inside withHomeStore: with the server running, the whole command runs there.
      const { result, settings } = await withHomeStore(ctx, async (store) => {
        const config = ctx.host?.config ?? loadServerConfig({ home: ctx.home, env: ctx.env });
        const settings = notify.resolveNotifySettings(config.notify, { publicUrl: config.publicUrl });
        const log = notify.lineLog((line) => ctx.err.write(line + '\n'));
        const sms = settings.sms ? notify.createSmsGateway(settings.sms, { log }) : undefined;
        const mail = settings.mail ? notify.createMailer(settings.mail, { log }) : undefined;
        try {
          // Reminders name the portal at the installation's stored public address, not this process's default.
          const stored = config.notify.portalUrl ? undefined : await storedPublicUrl(store.db);
          const notifier = new notify.Notifier({ db: store.db, settings: stored ? { ...settings, portalUrl: stored } : settings, sms, mail, log });
          try {
            const pass = await notifier.pass({ scan: flags.scan, ...(now && { now }) });
            if (wait > 0) await new Promise((r) => setTimeout(r, wait * 1000));
            await notifier.receiptsSettled();
            return { result: pass, settings };
          } finally {
            await notifier.stop();
          }
        } finally {
          await sms?.close();
          await mail?.close();
        }
      });
      {
        const created = (s: notify.ScanResult | undefined) => (s ? Object.values(s.created).reduce((a, b) => a + b, 0) : 0);
        const rows: Row[] = [
          ['Due found', result.scan ? `SMS ${created(result.scan.sms)} reminders in ${result.scan.sms.messages} messages, e-mail ${created(result.scan.email)} in ${result.scan.email.messages}` : 'not scanned (--no-scan)'],
          ['Delivered', `${result.delivery.sent} sent, ${result.delivery.retried} to retry, ${result.delivery.failed} failed, ${result.delivery.skipped} skipped${result.delivery.unknown ? `, ${result.delivery.unknown} unknown` : ''} (of ${result.delivery.claimed})`],
          ['Interrupted sends', `${result.lapsed.provenByReceipt} proven by receipt, ${result.lapsed.unknown} unknown (the SMSC has not said), ${result.lapsed.resent} sent again, ${result.lapsed.neverSent} never sent`],
          ['Transports', `SMS ${settings.sms?.type ?? 'none'}, e-mail ${settings.mail?.type ?? 'none'}`],
        ];
        printResult(ctx, result, rows);
      }
    });
  withExamples(run, [
    'qoltanba notify run',
    ['deliver only what is already queued, and wait 30 s for SMS delivery receipts', 'qoltanba notify run --no-scan --wait-receipts 30'],
    ['see which reminders a given day would send', 'qoltanba --json notify run --now 2025-03-01T09:00:00Z'],
  ]);

  const status = cmd
    .command('status')
    .description('reminder messages per channel and state, why some were skipped or failed, the latest dead letters, sends whose outcome is unknown and sends that may have arrived twice')
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
        ...status.unknown.map((u): Row => [`unknown #${u.id}`, `${u.channel} to ${u.destination ?? '?'} since ${u.since.toISOString()}${u.reference === null ? '' : ` (reference ${u.reference})`}: may or may not have been sent — notify retry ${u.id} sends it, --as-sent records it as sent`]),
        ...status.possiblyTwice.map((t): Row => [`maybe twice #${t.id}`, `${t.channel} to ${t.destination ?? '?'}: sent again without evidence (notify.uncorrelatedSends at-least-once), now ${t.state}`]),
        ...status.resolutions.map((r): Row => [`${r.channel} interrupted`, `${r.count} × ${r.resolution}`]),
      ];
      printResult(ctx, status, rows);
    });
  withExamples(status, ['qoltanba notify status', 'qoltanba --json notify status']);

  const retry = cmd
    .command('retry')
    .description('send failed, undelivered or unknown reminders again (name their ids, or --all-failed / --all-unknown); with --as-sent, record unknown ones as sent instead')
    .argument('[ids...]', 'message ids, as `notify status` shows them')
    .option('--all-failed', 'every failed message')
    .option('--all-unknown', 'every message whose outcome is unknown')
    .option('--as-sent', 'unknown messages only: the SMSC\'s records show they went out; record them as sent and send nothing')
    .addOption(new Option('--channel <channel>', 'only this channel').choices(['sms', 'email']))
    .action(async (ids: string[], flags: { allFailed?: boolean; allUnknown?: boolean; asSent?: boolean; channel?: string }) => {
      const ctx = context();
      const retried = await withHomeStore(ctx, (store) =>
        notify.retryMessages(
          store.db,
          { ids, allFailed: Boolean(flags.allFailed), allUnknown: Boolean(flags.allUnknown), asSent: Boolean(flags.asSent), ...(flags.channel && { channel: flags.channel as notify.NotifyChannel }) },
          `operator:${userInfo().username}`,
        ),
      );
      const list = retried.length ? retried.join(', ') : 'nothing';
      if (flags.asSent) printResult(ctx, { recordedAsSent: retried }, [['Recorded as sent', list]]);
      else printResult(ctx, { retried }, [['Queued again', list]]);
    });
  withExamples(retry, [
    'qoltanba notify retry 1042 1043',
    ['every failed SMS', 'qoltanba notify retry --all-failed --channel sms'],
    ['the SMSC never answered for 1077: send it again', 'qoltanba notify retry 1077'],
    ['the SMSC\'s records show 1078 went out: close it without sending', 'qoltanba notify retry 1078 --as-sent'],
  ]);
}
