/**
 * Revocation by the person, confirmed by signing: the page names the certificates and the reason, the server
 * writes a challenge covering exactly those, the person's SIGN key signs it through the agent, and only then
 * does the RA revoke (OCSP says "revoked" at once, the next CRL lists them). Each revoked certificate gets a
 * revocation application at the RA (submitted → verified → approved, filed with the others in one transaction;
 * completed in the transaction that revokes its certificate) beside the RA's own audit entries.
 * From the re-issuance wizard (?application=…) the old keys come preselected with reason "superseded".
 */
import type { FastifyInstance } from 'fastify';
import { formatDateTime } from '@qoltanba/i18n';
import { QtError } from '@qoltanba/pki';
import { createApplication, listBySubject, moveApplication, revoke, type CertificateRecord } from '../../ra/index.ts';
import type { PortalDeps } from '../deps.ts';
import { signedIn, stateOf } from '../http/request-state.ts';
import { isUsable, kindLabel, serialLabel } from '../keys/describe.ts';
import { loadReissue } from '../reissue/store.ts';
import { challengeNonce, consumeChallenge, createChallenge } from '../session/challenges.ts';
import { portalDb } from '../tables.ts';
import { PORTAL_REASONS, revokeBody, type PortalReason } from '../views/revoke.ts';
import { agentTexts } from '../views/login.ts';
import { renderPage } from '../views/render.ts';

/** The challenge's targets: "reason:<name>" first, then "<ca>/<serial>" of each certificate it covers. */
const REASON_PREFIX = 'reason:';

export function revokeRoutes(app: FastifyInstance, deps: PortalDeps): void {
  const { ctx, options } = deps;
  const appLimit = { bucket: 'applications' as const, max: options.rateLimits.applications };
  const live = async (iin: string) => (await listBySubject(deps.ra, iin, { limit: 1000 })).filter((c) => isUsable(c, ctx.now()));

  app.get('/revoke', { config: { portal: 'page' } }, async (request, reply) => {
    const me = signedIn(request);
    const state = stateOf(request);
    const q = request.query as Record<string, unknown>;
    const certificates = await live(me.iin);
    const selected = new Set<string>([q.c].flat().filter((x): x is string => typeof x === 'string'));
    let reason: PortalReason = 'unspecified';
    let applicationId: string | undefined;
    if (typeof q.application === 'string') {
      const r = await loadReissue(ctx.store.db, q.application, me.iin);
      applicationId = r.id;
      const old = new Set(r.oldCertificateIds);
      for (const c of certificates) if (old.has(c.id)) selected.add(`${c.ca}/${c.serial}`);
      reason = 'superseded';
    }
    return renderPage(request, reply, {
      title: state.t.t('revoke.title'),
      section: 'keys',
      body: revokeBody(state.t, { certificates, selected, reason }),
      scripts: certificates.length ? ['revoke.js'] : [],
      data: { agentUrl: options.agentUrl, locale: state.locale, iin: me.iin, applicationId, texts: { ...agentTexts(state.t), pick: state.t.t('revoke.pick') } },
    });
  });

  app.post('/revoke/challenge', { config: { portal: 'json', portalLimit: appLimit } }, async (request) => {
    const me = signedIn(request);
    const { t } = stateOf(request);
    const body = (request.body ?? {}) as Record<string, unknown>;
    const reason = body.reason;
    if (typeof reason !== 'string' || !(PORTAL_REASONS as readonly string[]).includes(reason)) throw new QtError('QT_ERR_REVOCATION_REASON_INVALID');
    const targets = [body.targets].flat().filter((x): x is string => typeof x === 'string');
    if (targets.length === 0 || targets.length > 10) throw new QtError('QT_ERR_INPUT_INVALID', 'Name between 1 and 10 certificates');
    const mine = new Map((await live(me.iin)).map((c) => [`${c.ca}/${c.serial}`, c]));
    const chosen = [...new Set(targets)].map((id) => {
      const c = mine.get(id);
      if (!c) throw new QtError('QT_ERR_CERT_NOT_FOUND');
      return c;
    });
    const now = ctx.now();
    const content = t.t('sign.revoke', {
      iin: me.iin,
      serials: chosen.map((c) => `${kindLabel(t, c.kind)} ${serialLabel(c.serial)}`).join(', '),
      reason: t.t(`reason.${reason}`),
      nonce: challengeNonce(),
      time: formatDateTime(t.locale, now),
    });
    const challenge = await createChallenge(ctx.store.db, {
      sessionSha256: me.session.tokenSha256,
      purpose: 'revoke',
      targets: [`${REASON_PREFIX}${reason}`, ...chosen.map((c) => `${c.ca}/${c.serial}`)],
      content,
      now,
      ttlMs: options.challengeMs,
    });
    return { id: challenge.id, content: challenge.content };
  });

  app.post('/revoke', { config: { portal: 'json', portalLimit: appLimit } }, async (request) => {
    const me = signedIn(request);
    const body = (request.body ?? {}) as Record<string, unknown>;
    const now = ctx.now();
    const challenge = await consumeChallenge(ctx.store.db, { id: body.challengeId, sessionSha256: me.session.tokenSha256, purpose: 'revoke', now });
    const verified = await deps.verifier.verify({ cms: body.cms, content: challenge.content, purpose: 'emailProtection', iin: me.iin });
    const [reasonTag, ...ids] = challenge.targets;
    const reason = reasonTag?.slice(REASON_PREFIX.length) as PortalReason;
    const all = new Map((await listBySubject(deps.ra, me.iin, { limit: 1000 })).map((c) => [`${c.ca}/${c.serial}`, c]));
    const targets = ids.map((id) => all.get(id)).filter((c): c is CertificateRecord => !!c);
    if (targets.length !== ids.length) throw new QtError('QT_ERR_CERT_NOT_FOUND');
    const actor = `citizen:${me.iin}`;
    const signer = `${verified.certificate.ca}/${verified.certificate.serial}`;

    const applications = await ctx.store.db.transaction().execute(async (trx) => {
      const out: { id: string; cert: CertificateRecord }[] = [];
      for (const cert of targets) {
        const id = await createApplication(trx, {
          kind: 'revoke',
          iin: me.iin,
          targetCertificateId: cert.id,
          identification: 'remote',
          request: { via: 'portal', reason, signer },
          now,
          expiresAt: new Date(now.getTime() + options.applicationMs),
          actor,
          details: { certificate: `${cert.ca}/${cert.serial}`, reason },
        });
        // The signature over this very challenge proved who asks (verified); revoking one's own certificate
        // needs no other policy (approved).
        await moveApplication(trx, id, 'submitted', 'verified', now, { actor, details: { by: ['signature'], signer, challengeId: challenge.id } });
        await moveApplication(trx, id, 'verified', 'approved', now, { actor: 'system:portal' });
        out.push({ id, cert });
      }
      return out;
    });

    let revoked = 0;
    for (const { id, cert } of applications) {
      // The RA completes the application in the transaction that revokes the certificate.
      const result = await revoke(deps.ra, { ca: cert.ca, serial: cert.serial, reason, actor, application: { id, actor: 'system:portal' } });
      if (result.changed) revoked++;
    }

    const fromWizard = typeof body.applicationId === 'string' ? body.applicationId : undefined;
    if (fromWizard) {
      const r = await loadReissue(ctx.store.db, fromWizard, me.iin);
      const done = new Set(targets.map((c) => c.id));
      const revokedBefore = new Set([...all.values()].filter((c) => c.status === 'revoked').map((c) => c.id));
      if (r.oldCertificateIds.every((id) => done.has(id) || revokedBefore.has(id))) {
        await portalDb(ctx.store.db).updateTable('portal_reissues').set({ old_revoked_at: ctx.now(), updated_at: ctx.now() }).where('application_id', '=', r.id).execute();
      }
      return { redirect: `/applications/${r.id}` };
    }
    return { redirect: `/keys?revoked=${revoked}` };
  });
}
