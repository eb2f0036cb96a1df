/**
 * The citizen portal as a server feature (features.ts, role `portal`). It is given the process's status
 * service (made once by start.ts) for the RA's hooks (OCSP pre-signed right after issuance, re-signed at
 * once on revocation) and for answering its own OCSP questions about the keys people sign with; its SMS
 * gateway comes from the notifier's configuration (`notify.sms`), the same interface the expiry reminders use.
 *
 * QOLTANBA_AGENT_URL overrides where pages look for the local agent (default NCALayer's ws://127.0.0.1:13579).
 */
import type { FastifyInstance } from 'fastify';
import type { Feature, ServerContext } from '../context.ts';
import { createRa, statusHooksFor } from '../ra/index.ts';
import type { StatusService } from '../status/index.ts';
import { createSmsGateway, type SmsGateway } from '../notify/index.ts';
import { DatabaseMobileCitizens, type MobileCitizens } from '../notify/mobile-citizens/index.ts';
import { resolveNotifySettings } from '../notify/settings.ts';
import { SignatureVerifier } from './auth/verify-signature.ts';
import type { PortalDeps } from './deps.ts';
import { resolvePortalOptions, type PortalOptions } from './options.ts';
import { portalPlugin, type PortalExtension } from './plugin.ts';

export interface PortalFeatureOptions extends PortalOptions {
  /** Use this SMS gateway instead of the one `notify.sms` configures. */
  sms?: SmsGateway;
  /** Use this mobile-citizens registry (IIN → phone) instead of the database's `mobile_registry` table. */
  mobileCitizens?: MobileCitizens;
  /** The process's status service (start.ts makes it; whoever made it stops it). */
  status: StatusService;
  /** Features that add pages to the portal (remote issuance, the operators' console). */
  extensions?: readonly PortalExtension[];
}

/** What a running portal is made of, for the tests and tools that drive it (e.g. reading the SMS sink). */
const running = new WeakMap<FastifyInstance, PortalDeps>();

export function portalOf(app: FastifyInstance): PortalDeps | undefined {
  return running.get(app);
}

export function portalFeature(options: PortalFeatureOptions): Feature {
  return {
    name: 'portal',
    roles: ['portal'],
    async start(app, ctx) {
      const { deps, close } = createPortalDeps(ctx, {
        ...options,
        agentUrl: options.agentUrl ?? process.env.QOLTANBA_AGENT_URL,
      });
      await app.register(portalPlugin, { deps, extensions: options.extensions ?? [] });
      running.set(app, deps);
      // Ended sessions and used challenges are kept a week (evidence), then deleted by the hourly cluster
      // job (jobs/feature.ts, purgePortalState), once for the whole cluster.
      return close;
    },
  };
}

export function createPortalDeps(ctx: ServerContext, options: Omit<PortalFeatureOptions, 'extensions'>): { deps: PortalDeps; close: () => Promise<void> } {
  const status = options.status;
  // The demo's people carry NCA's test IINs (they fail the check digit), so a demo portal accepts them.
  const resolved = resolvePortalOptions({ ...options, testMode: options.testMode ?? (ctx.config.demo || undefined) });
  let ownSms: SmsGateway | undefined;
  let sms = options.sms;
  if (!sms) {
    const settings = resolveNotifySettings(ctx.config.notify, { publicUrl: ctx.config.publicUrl });
    // One-time codes need no delivery receipts, and an SMPP session that receives them would take (and answer)
    // receipts meant for the reminder worker, which settles interrupted sends by them: the portal binds as a
    // transmitter only.
    const otpSms = settings.sms?.type === 'smpp' ? { ...settings.sms, receipts: false, bindMode: 'transmitter' as const } : settings.sms;
    if (otpSms) sms = ownSms = createSmsGateway(otpSms, { log: ctx.log, demo: ctx.config.demo ? { db: ctx.store.db } : undefined });
    else {
      ctx.log.warn('portal: no SMS transport is configured (notify.sms); one-time codes cannot be sent');
      sms = { send: async () => Promise.reject(Object.assign(new Error('no SMS transport configured'), { code: 'QT_ERR_SMS_UNAVAILABLE' })), close: async () => undefined };
    }
  }
  const deps: PortalDeps = {
    ctx,
    ra: createRa(ctx, { hooks: statusHooksFor(status), testMode: resolved.testMode }),
    status,
    sms,
    mobileCitizens: options.mobileCitizens ?? new DatabaseMobileCitizens(ctx.store.db),
    verifier: new SignatureVerifier(ctx, status),
    options: resolved,
    origin: new URL(ctx.config.publicUrl).origin,
  };
  return {
    deps,
    async close() {
      await ownSms?.close();
    },
  };
}
