/**
 * «Мои ключи ЭЦП»: every certificate ever issued to the signed-in person, their downloads and an export.
 * Every lookup is by the session's IIN: a certificate of someone else is "not found", never "forbidden",
 * so the portal does not even confirm it exists.
 */
import type { FastifyInstance } from 'fastify';
import { formatDate } from '@qoltanba/i18n';
import { isQtError, QtError } from '@qoltanba/pki';
import { resolveNotifySettings, type NotifySettings } from '../../notify/index.ts';
import { listBySubject, type CertificateRecord } from '../../ra/index.ts';
import { findCertificate } from '../../ra/records.ts';
import type { PortalDeps } from '../deps.ts';
import { signedIn, stateOf } from '../http/request-state.ts';
import { openReissue } from '../reissue/store.ts';
import { keysBody } from '../views/keys.ts';
import { renderPage } from '../views/render.ts';
import { algorithmOf, daysLeft, shownStatus } from './describe.ts';
import { reminderSettings, setNoticeLanguage } from './reminders.ts';

export function keysRoutes(app: FastifyInstance, deps: PortalDeps): void {
  const { ctx } = deps;
  // What the reminders section describes: the notifier's thresholds, resolved once (at the first page, when the
  // public address is known), not on every request.
  let notify: NotifySettings | undefined;
  const notifySettings = () => (notify ??= resolveNotifySettings(ctx.config.notify, { publicUrl: ctx.config.publicUrl }));

  app.get('/keys', { config: { portal: 'page' } }, async (request, reply) => {
    const me = signedIn(request);
    const { t } = stateOf(request);
    const certificates = await listBySubject(deps.ra, me.iin, { limit: 1000 });
    const open = await openReissue(ctx.store.db, me.iin, { uninstalled: true });
    const query = request.query as Record<string, unknown>;
    const revoked = Number(query.revoked);
    return renderPage(request, reply, {
      title: t.t('word.myKeys'),
      section: 'keys',
      body: keysBody(t, {
        name: stateOf(request).person ?? me.iin,
        iin: me.iin,
        certificates,
        now: ctx.now(),
        open: open ? { id: open.id, createdAt: open.createdAt } : undefined,
        revokedCount: Number.isInteger(revoked) && revoked > 0 ? revoked : undefined,
        reminders: await reminderSettings(deps, notifySettings(), me.iin),
        saved: query.saved === 'reminders',
        csrfToken: stateOf(request).session?.csrfToken ?? '',
      }),
    });
  });

  /** The language of the expiry reminders (the rest of what the section shows comes from the registries). */
  app.post('/keys/reminders', { config: { portal: 'page' } }, async (request, reply) => {
    const me = signedIn(request);
    await setNoticeLanguage(deps, me.iin, (request.body as Record<string, unknown> | undefined)?.language);
    return reply.redirect('/keys?saved=reminders#reminders', 303);
  });

  app.get('/keys/:ca/:serial/certificate', { config: { portal: 'page' } }, async (request, reply) => {
    const me = signedIn(request);
    const { ca, serial } = request.params as { ca: string; serial: string };
    const cert = await ownCertificate(deps, me.iin, ca, serial);
    const pem = (request.query as Record<string, unknown>).format === 'pem';
    const name = `${cert.kind === 'AUTH' ? 'AUTH_' : ''}${cert.serial}.${pem ? 'pem' : 'cer'}`;
    return reply
      .header('Content-Disposition', `attachment; filename="${name}"`)
      .type(pem ? 'application/x-pem-file' : 'application/pkix-cert')
      .send(pem ? cert.pem : cert.der);
  });

  /** All certificates ever issued to the person, as one PEM bundle (each preceded by what it is). */
  app.get('/keys/export.pem', { config: { portal: 'page' } }, async (request, reply) => {
    const me = signedIn(request);
    const all = await listBySubject(deps.ra, me.iin, { limit: 1000 });
    const text = all
      .map((c) => `# ${c.kind} ${c.ca}/${c.serial} ${c.notBefore.toISOString()} – ${c.notAfter.toISOString()} ${c.status}\n${c.pem}`)
      .join('\n');
    return reply.header('Content-Disposition', `attachment; filename="eds-certificates-${me.iin}.pem"`).type('application/x-pem-file').send(text);
  });

  /** The same list as a spreadsheet would want it (UTF-8 with BOM, so Excel reads Cyrillic). */
  app.get('/keys/export.csv', { config: { portal: 'page' } }, async (request, reply) => {
    const me = signedIn(request);
    const now = ctx.now();
    const all = await listBySubject(deps.ra, me.iin, { limit: 1000 });
    const header = ['kind', 'algorithm', 'ca', 'serial', 'not_before', 'not_after', 'status', 'revoked_at', 'revocation_reason', 'storage', 'days_left', 'subject'];
    const rows = all.map((c) => [
      c.kind,
      algorithmOf(c.der),
      c.ca,
      c.serial,
      c.notBefore.toISOString(),
      c.notAfter.toISOString(),
      shownStatus(c, now),
      c.revokedAt?.toISOString() ?? '',
      c.revocationReason ?? '',
      c.storage,
      String(shownStatus(c, now) === 'good' ? daysLeft(c.notAfter, now) : 0),
      c.subject,
    ]);
    const csv = '\ufeff' + [header, ...rows].map((r) => r.map(csvField).join(',')).join('\r\n') + '\r\n';
    return reply.header('Content-Disposition', `attachment; filename="eds-keys-${me.iin}-${formatDate('en', now, 'short').replace(/\//g, '-')}.csv"`).type('text/csv; charset=utf-8').send(csv);
  });
}

function csvField(value: string): string {
  // A leading = + - @ would make a spreadsheet evaluate the cell (CSV injection).
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** The person's own certificate, or QT_ERR_CERT_NOT_FOUND (also when it belongs to someone else). */
export async function ownCertificate(deps: PortalDeps, iin: string, ca: string, serial: string): Promise<CertificateRecord> {
  if (!/^[a-z0-9][a-z0-9._-]{0,62}$/i.test(ca) || !/^[0-9a-f]{1,40}$/i.test(serial)) throw new QtError('QT_ERR_CERT_NOT_FOUND');
  let found: CertificateRecord;
  try {
    found = await findCertificate(deps.ctx.store.db, ca, serial);
  } catch (e) {
    if (isQtError(e, 'QT_ERR_CA_NOT_FOUND') || isQtError(e, 'QT_ERR_CERT_NOT_FOUND') || isQtError(e, 'QT_ERR_INPUT_INVALID')) throw new QtError('QT_ERR_CERT_NOT_FOUND');
    throw e;
  }
  if (found.iin !== iin) throw new QtError('QT_ERR_CERT_NOT_FOUND');
  return found;
}
