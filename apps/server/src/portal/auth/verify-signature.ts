/**
 * The portal's one door for signatures from the browser: a CMS made by the person's key through the agent.
 * The server trusts neither the page nor the agent and checks, itself and in this order:
 *  1. the CMS: one signer, signature valid, and the signed text is exactly the challenge's;
 *  2. the chain from the signer's certificate to one of OUR root CAs (a foreign CA's key fails here), the
 *     validity of every certificate now, and the key's purpose (clientAuth to sign in, emailProtection for
 *     applications — NCA's AUTH and SIGN keys);
 *  3. revocation: an OCSP response for the certificate, produced by our own status service and verified
 *     like any relying party would (signature, responder, freshness), must say "good"; the issuing CA is
 *     checked against the root's CRL when one is published, and against our own CA table;
 *  4. the certificate is one we issued (its row exists, for this IIN, with status good).
 * Only then is the IIN taken from the certificate. Each failure keeps its stable code, so the page can say
 * what happened (expired on …, revoked on …, not our CA …).
 *
 * Once that full procedure has accepted a signer under one of our issuing CAs for a purpose, later signers
 * under the same CA and purpose are accepted on OUR RECORD instead of steps 2–3 for the leaf (ours.ts): the
 * signer's certificate byte-equal to one we issued and hold as good, inside its validity, the person's, with
 * the purpose's key usages; the CA part of the chain as the full procedure found it (same CA certificates,
 * inside their validity, the roots' newest CRLs unchanged). A certificate whose bytes we issued cannot be
 * forged, and our record is what our OCSP answer is made from, so this is at least as strict and costs one
 * statement instead of three plus the chain and OCSP parsing. Anything that does not pass goes the full way,
 * so every refusal keeps the code it always had.
 */
import {
  buildOcspRequest,
  inspectCertificate,
  isQtError,
  QtError,
  validatePath,
  verifyCms,
  type CertificateInfo,
  type Purpose,
} from '@qoltanba/pki';
import type { ServerContext } from '../../context.ts';
import type { StatusService } from '../../status/index.ts';
import { findCertificate, type CertificateRecord } from '../../ra/records.ts';
import { acceptedOnRecord, caPartOf, ourRecordWithRootCrls, rootCrlsTag, type CaPart } from './ours.ts';

export interface VerifiedSignature {
  certificate: CertificateRecord;
  info: CertificateInfo;
  iin: string;
}

export interface VerifyRequest {
  /** PEM (-----BEGIN CMS-----) or base64 DER, as the agent returns it. */
  cms: unknown;
  /** The exact text that had to be signed. */
  content: string;
  purpose: Extract<Purpose, 'clientAuth' | 'emailProtection'>;
  /** When set, the signer must be this person. */
  iin?: string;
}

export interface CaRow {
  id: number;
  name: string;
  kind: 'root' | 'issuing';
  status: 'active' | 'retired' | 'revoked';
  certificate: Buffer;
  subject: Buffer;
}

const MAX_CMS_CHARS = 64 * 1024;
const TRUST_TTL_MS = 60_000;

export class SignatureVerifier {
  /** Our CAs, re-read every minute; the CA parts the full procedure accepted live and die with them. */
  #trust: { at: number; cas: CaRow[]; passed: Map<string, CaPart> } | undefined;

  constructor(
    private readonly ctx: ServerContext,
    private readonly status: StatusService,
  ) {}

  async verify(req: VerifyRequest): Promise<VerifiedSignature> {
    if (typeof req.cms !== 'string' || req.cms.length === 0 || req.cms.length > MAX_CMS_CHARS) {
      throw new QtError('QT_ERR_CMS_MALFORMED', 'The signature is missing or too large');
    }
    const cms = await verifyCms(req.cms.trim());
    if (cms.signers.length !== 1) throw new QtError('QT_ERR_CMS_MALFORMED', 'Exactly one signer was expected');
    const expected = Buffer.from(req.content, 'utf8');
    if (!cms.content || !expected.equals(Buffer.from(cms.content))) {
      throw new QtError('QT_ERR_CHALLENGE_INVALID', 'The signed text is not the text that was asked to be signed');
    }
    const signer = cms.signers[0]!;
    const info = inspectCertificate(signer.certificate);
    const now = this.ctx.now();

    const cas = await this.#cas();
    const issuer = cas.find((c) => c.kind === 'issuing' && Buffer.from(info.issuer.der).equals(c.subject));
    const passedKey = issuer ? `${issuer.id}/${req.purpose}` : '';
    const passed = issuer ? this.#trust?.passed.get(passedKey) : undefined;
    if (issuer && passed && issuer.status !== 'revoked' && Buffer.from(passed.issuerCertificate).equals(issuer.certificate)) {
      const ours = await ourRecordWithRootCrls(this.ctx.store.db, issuer.id, passed.roots, info.serialHex);
      const accepted = ours && acceptedOnRecord({ record: ours.record, rootCrls: ours.rootCrls, info, passed, purpose: req.purpose, iin: req.iin, now });
      if (accepted) return { certificate: ours.record, info, iin: accepted.iin };
      // Not accepted on our record: the full procedure below decides, and says why with its usual code.
    }
    // Our responder's answer, the roots' CRLs and our record of the certificate are independent reads: asked
    // for together (one round trip's wait instead of three), judged below in the same order as ever — the
    // record only once the chain and the status have passed.
    const recordLookup = issuer ? settle(findCertificate(this.ctx.store.db, issuer.name, info.serialHex)) : undefined;
    const [ocsp, rootCrls] = issuer ? await Promise.all([this.#ocspFor(signer.certificate, issuer), this.#rootCrls(cas)]) : [undefined, { ders: [], tag: '' }];
    const crls = rootCrls.ders;
    const verdict = await validatePath({
      leaf: signer.certificate,
      intermediates: cas.filter((c) => c.kind === 'issuing').map((c) => c.certificate),
      trustAnchors: cas.filter((c) => c.kind === 'root').map((c) => c.certificate),
      at: now,
      revocation: { ocspResponses: ocsp ? [ocsp] : [], crls, mode: 'prefer' },
      purpose: req.purpose,
    });
    if (!verdict.ok) throw withDates(verdict.error ?? new QtError('QT_ERR_CHAIN_INVALID'), info, verdict.chain[0]?.revocation.revokedAt);
    if (!issuer) throw new QtError('QT_ERR_CHAIN_INCOMPLETE', 'The certificate was not issued by one of our issuing CAs');
    const leaf = verdict.chain[0];
    if (leaf?.revocation.status !== 'good') {
      throw new QtError('QT_ERR_REVOCATION_UNKNOWN', `The revocation status of the certificate is ${leaf?.revocation.status ?? 'unknown'}${leaf?.revocation.detail ? `: ${leaf.revocation.detail}` : ''}`);
    }
    if (issuer.status === 'revoked') throw new QtError('QT_ERR_CERT_REVOKED', `The issuing CA ${issuer.name} is revoked`);

    const found = await recordLookup!;
    if (!found.ok) {
      if (isQtError(found.error, 'QT_ERR_CERT_NOT_FOUND')) throw new QtError('QT_ERR_CHAIN_INCOMPLETE', 'Our CA has no record of this certificate');
      throw found.error;
    }
    const record: CertificateRecord = found.value;
    const iin = info.kz.iin;
    if (!iin || record.iin !== iin || !Buffer.from(info.der).equals(record.der)) {
      throw new QtError('QT_ERR_CHAIN_INCOMPLETE', 'The certificate does not match our record of it');
    }
    if (record.status === 'revoked') throw withDates(new QtError('QT_ERR_CERT_REVOKED'), info, record.revokedAt ?? undefined);
    if (record.status === 'on_hold') throw new QtError('QT_ERR_CERT_ON_HOLD');
    if (req.iin !== undefined && req.iin !== iin) throw new QtError('QT_ERR_SIGNER_NOT_ALLOWED');
    // The CA part of this chain is now known good for this purpose: remembered with the CRLs it was judged by.
    const part = caPartOf(verdict.chain, issuer, cas, rootCrls.tag);
    if (part && this.#trust?.cas === cas) this.#trust.passed.set(passedKey, part);
    return { certificate: record, info, iin };
  }

  async #cas(): Promise<CaRow[]> {
    const now = Date.now();
    if (this.#trust && now - this.#trust.at < TRUST_TTL_MS) return this.#trust.cas;
    const rows = await this.ctx.store.db.selectFrom('cas').select(['id', 'name', 'kind', 'status', 'certificate']).execute();
    const cas = rows.map((r) => ({ ...r, subject: Buffer.from(inspectCertificate(r.certificate).subject.der) }));
    this.#trust = { at: now, cas, passed: new Map() };
    return cas;
  }

  /** Our own responder's answer (usually the pre-signed response: no signing on this path). */
  async #ocspFor(leaf: Uint8Array, issuer: CaRow): Promise<Uint8Array | undefined> {
    const request = await buildOcspRequest(leaf, issuer.certificate);
    const answer = await this.status.responder.answer(request);
    return answer.outcome === 'presigned' || answer.outcome === 'signed' ? answer.der : undefined;
  }

  /**
   * The newest full CRL of each root, when the status service has published one (it covers the issuing CAs),
   * and which ones they were (rootCrlsTag), so an acceptance on our record can tell they are still the newest.
   */
  async #rootCrls(cas: CaRow[]): Promise<{ ders: Buffer[]; tag: string }> {
    const roots = cas.filter((c) => c.kind === 'root').map((c) => c.id);
    if (roots.length === 0) return { ders: [], tag: '' };
    const rows = await this.ctx.store.db
      .selectFrom('crls')
      .select(['ca_id', 'der', 'crl_number'])
      .where('ca_id', 'in', roots)
      .where('kind', '=', 'full')
      .orderBy('crl_number', 'desc')
      .limit(roots.length * 2)
      .execute();
    const newest = new Map<number, { der: Buffer; number: string }>();
    for (const r of rows) if (!newest.has(r.ca_id)) newest.set(r.ca_id, { der: r.der, number: String(r.crl_number) });
    return { ders: [...newest.values()].map((n) => n.der), tag: rootCrlsTag([...newest].map(([caId, n]) => ({ caId, number: n.number }))) };
  }
}

/** A lookup whose failure is judged later, in its turn: settled now, so an early refusal leaves no unhandled rejection. */
function settle<T>(p: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  return p.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}

/** Adds the dates a person needs to the error ("expired on …", "revoked on …"). */
function withDates(e: QtError, info: CertificateInfo, revokedAt?: Date): QtError {
  if (e.code === 'QT_ERR_CERT_EXPIRED') return new QtError(e.code, e.message, { ...e.details, notAfter: info.notAfter.toISOString() });
  if (e.code === 'QT_ERR_CERT_REVOKED' && revokedAt) return new QtError(e.code, e.message, { ...e.details, revokedAt: revokedAt.toISOString() });
  return e;
}
