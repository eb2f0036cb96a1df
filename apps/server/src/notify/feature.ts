/**
 * The notifier as a server feature (role 'worker'): transports from `notify` in the server config, the
 * mobile-registry adapter, the process's cluster jobs (jobs/feature.ts) for the schedule. A channel whose transport is not
 * configured (production without one) keeps its reminders pending and says so in the log once.
 */
import type { Feature } from '../context.ts';
import { clusterJobs } from '../jobs/feature.ts';
import { createMailer, createSmsGateway } from './config.ts';
import type { NotifyLog } from './log.ts';
import { Notifier } from './notifier.ts';
import { resolveNotifySettings } from './settings.ts';

export const notifyFeature: Feature = {
  name: 'notify',
  roles: ['worker'],
  async start(_app, ctx) {
    const settings = resolveNotifySettings(ctx.config.notify, { publicUrl: ctx.config.publicUrl });
    if (!settings.enabled) return async () => undefined;
    const log: NotifyLog = {
      info: (f, m) => ctx.log.info(f, m),
      warn: (f, m) => ctx.log.warn(f, m),
      error: (f, m) => ctx.log.error(f, m),
    };
    const sms = settings.sms ? createSmsGateway(settings.sms, { log, demo: ctx.config.demo ? { db: ctx.store.db } : undefined }) : undefined;
    const mail = settings.mail ? createMailer(settings.mail, { log }) : undefined;
    for (const [channel, transport] of [['SMS', sms], ['e-mail', mail]] as const) {
      if (!transport) ctx.log.error(`notify: no ${channel} transport is configured; ${channel} reminders are kept pending (qoltanba notify status) until one is`);
    }
    const notifier = new Notifier({ db: ctx.store.db, settings, sms, mail, log, clock: () => ctx.now() });
    await notifier.start(clusterJobs(ctx));
    return async () => {
      await notifier.stop();
      await sms?.close();
      await mail?.close();
    };
  },
};
