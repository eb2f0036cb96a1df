/**
 * Signing in with a key, for the citizens' portal and the RA operators' console alike: a login challenge
 * bound to the anonymous session, then the signed challenge verified (clientAuth, chain, status, our record)
 * and traded for a new session in one transaction with its audit entry. The two surfaces differ only in
 * who may come in (an operator's certificate carries the RA-operator role), the session's audience and the
 * words of the audit trail; a refusal is audited too, with its code and nothing the stranger sent.
 */
import { isQtError } from '@qoltanba/pki';
import type { Translator } from '@qoltanba/i18n';
import { appendAudit } from '../../audit/index.ts';
import { sessionTimes, type PortalDeps } from '../deps.ts';
import { challengeNonce, consumeChallenge, createChallenge } from '../session/challenges.ts';
import { createSession, endSession } from '../session/sessions.ts';
import type { SessionAudience } from '../tables.ts';
import type { VerifiedSignature } from './verify-signature.ts';

export interface SignInSurface {
  /** Who the session is for; also the prefix of the audit actor ('citizen:<IIN>', 'operator:<IIN>'). */
  audience: SessionAudience;
  /** The audit actions' prefix ('portal' → portal.login, portal.login-refused). */
  surface: 'portal' | 'operator';
  /** Throws when this signer may not sign in here (after the signature and the certificate are verified). */
  admit?(verified: VerifiedSignature): void;
}

/** The text to sign for a login (naming `origin`, the address the person signs in to), kept against the anonymous session. */
export async function loginChallenge(deps: PortalDeps, sessionSha256: Buffer, t: Translator, origin: string): Promise<{ id: string; content: string }> {
  const now = deps.ctx.now();
  const content = t.t('sign.login', { origin, nonce: challengeNonce(), time: now.toISOString() });
  const challenge = await createChallenge(deps.ctx.store.db, { sessionSha256, purpose: 'login', content, now, ttlMs: deps.options.challengeMs });
  return { id: challenge.id, content: challenge.content };
}

/** The signed challenge → a new session (the anonymous one ends), or the refusal, audited either way. */
export async function signIn(deps: PortalDeps, sessionSha256: Buffer, body: Record<string, unknown>, surface: SignInSurface): Promise<{ token: string; verified: VerifiedSignature }> {
  const { ctx } = deps;
  const now = ctx.now();
  try {
    const challenge = await consumeChallenge(ctx.store.db, { id: body.challengeId, sessionSha256, purpose: 'login', now });
    const verified = await deps.verifier.verify({ cms: body.cms, content: challenge.content, purpose: 'clientAuth' });
    surface.admit?.(verified);
    const opened = await ctx.store.db.transaction().execute(async (trx) => {
      await endSession(trx, sessionSha256, 'login', now);
      const created = await createSession(trx, sessionTimes(deps), now, { iin: verified.iin, certificateId: verified.certificate.id }, surface.audience);
      await appendAudit(trx, {
        actor: `${surface.audience}:${verified.iin}`,
        action: `${surface.surface}.login`,
        target: `certificate:${verified.certificate.ca}/${verified.certificate.serial}`,
        details: { iin: verified.iin, ca: verified.certificate.ca, serial: verified.certificate.serial, challengeId: challenge.id },
      });
      return created;
    });
    return { token: opened.token, verified };
  } catch (e) {
    if (isQtError(e)) await appendAudit(ctx.store.db, { actor: `system:${surface.surface}`, action: `${surface.surface}.login-refused`, details: { code: e.code } });
    throw e;
  }
}
