/**
 * The verdict as plain JSON — what the CLI prints with --json and /api/v1/verify answers — so both say
 * the same thing in the same words. Certificates are described the way a relying party reads them.
 */
import { toBase64, type Bytes } from '../encoding.ts';
import { inspectCertificate } from '../certificate/index.ts';
import type { ChainElement } from '../path/index.ts';
import type { DocumentVerdict, SignerVerdict, TimeStampJudgement } from './types.ts';
import { toHex } from '../encoding.ts';

export interface CertificateDescription {
  subject: string;
  issuer: string;
  /** Lower-case hex, no leading zeros. */
  serial: string;
  name: string | undefined;
  iin: string | undefined;
  bin: string | undefined;
  organization: string | undefined;
  holder: string;
  kind: string;
  roles: string[];
  profile: string | undefined;
  identification: string | undefined;
  keyAlgorithm: string;
  signatureAlgorithm: string;
  notBefore: string;
  notAfter: string;
  emails: string[];
  /** Base64 DER. */
  der: string;
}

/** Who a certificate belongs to and what it is; undefined when it cannot be read as one. */
export function describeCertificate(der: Bytes): CertificateDescription | undefined {
  let c;
  try {
    c = inspectCertificate(der);
  } catch {
    return undefined;
  }
  const name = [c.kz.surname, c.kz.name, c.kz.patronymic].filter(Boolean).join(' ') || c.kz.commonName;
  return {
    subject: c.subject.display,
    issuer: c.issuer.display,
    serial: c.serialHex.replace(/^0+(?=.)/, ''),
    name,
    iin: c.kz.iin,
    bin: c.kz.bin,
    organization: c.kz.organization,
    holder: c.holder,
    kind: c.kind,
    roles: c.roles.map((r) => r.name),
    profile: c.profile,
    identification: c.identification,
    keyAlgorithm: c.publicKey.bits ? `${c.publicKey.algorithm}-${c.publicKey.bits}` : c.publicKey.algorithm,
    signatureAlgorithm: c.signatureAlgorithm.name,
    notBefore: c.notBefore.toISOString(),
    notAfter: c.notAfter.toISOString(),
    emails: c.emails,
    der: toBase64(der),
  };
}

export function describeChainElement(e: ChainElement) {
  return {
    subject: e.subject,
    issuer: e.issuer,
    serial: e.serial,
    notBefore: e.notBefore.toISOString(),
    notAfter: e.notAfter.toISOString(),
    trustAnchor: e.trustAnchor,
    revocation: {
      status: e.revocation.status,
      source: e.revocation.source,
      reason: e.revocation.reason,
      revokedAt: e.revocation.revokedAt?.toISOString(),
      invalidityDate: e.revocation.invalidityDate?.toISOString(),
      detail: e.revocation.detail,
    },
  };
}

export function describeSigner(s: SignerVerdict) {
  return {
    valid: s.valid,
    error: s.error?.toJSON(),
    certificate: s.certificate ? describeCertificate(s.certificate) : undefined,
    signatureAlgorithm: s.signatureAlgorithm,
    signingTime: s.signingTime?.toISOString(),
    level: s.level,
    judgedAt: s.judgedAt ? { time: s.judgedAt.time.toISOString(), basis: s.judgedAt.basis, reason: s.judgedAt.reason } : undefined,
    timeStamps: s.timeStamps?.map(describeTimeStamp),
    chain: s.chain.map(describeChainElement),
  };
}

/** A signature or archive time-stamp of a signer: what it says and whether it holds. */
export function describeTimeStamp(t: TimeStampJudgement) {
  const tsa = t.tsaCertificate ? describeCertificate(t.tsaCertificate) : undefined;
  return {
    kind: t.kind,
    valid: t.valid,
    error: t.error?.toJSON(),
    genTime: t.genTime?.toISOString(),
    policy: t.info?.policy,
    serialNumber: t.info?.serialNumber,
    hashAlgorithm: t.info?.messageImprint.hashAlgorithm.name,
    imprint: t.info ? toHex(t.info.messageImprint.hashedMessage) : undefined,
    accuracyMs: t.info?.accuracyMs,
    tsa: tsa ? { subject: tsa.subject, serial: tsa.serial, notBefore: tsa.notBefore, notAfter: tsa.notAfter } : undefined,
    chain: t.chain.map(describeChainElement),
  };
}

export type VerdictDescription = ReturnType<typeof describeVerdict>;

export function describeVerdict(v: DocumentVerdict) {
  return {
    valid: v.valid,
    kind: v.kind,
    at: v.at.toISOString(),
    error: v.error?.toJSON(),
    signers: v.signers.map(describeSigner),
    cms: v.cms ? { attached: v.cms.attached, contentBytes: v.cms.content?.length } : undefined,
    xml: v.xml,
  };
}
