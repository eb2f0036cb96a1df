/** A certificate as the consent page and the filters need it, read by the pki package's inspectCertificate. */
import { inspectCertificate, type CertificateInfo } from '@qoltanba/pki';
import type { KeyDescription } from './types.ts';

function commonName(info: CertificateInfo['subject']): string {
  const cn = info.dn.flat().find((a) => a.type === '2.5.4.3');
  return cn?.value ?? info.display;
}

/** NCALayer names key algorithms "RSA", "ECGOST34310", …; ours: RSA, EC, or the GOST family by name. */
function algorithmLabel(info: CertificateInfo): string {
  const name = info.publicKey.algorithm;
  return name.startsWith('RSA') ? 'RSA' : name;
}

export function describeCertificate(der: Uint8Array): KeyDescription {
  const info = inspectCertificate(der);
  const kind = info.kind === 'AUTH' || info.kind === 'SIGN' ? info.kind : 'OTHER';
  return {
    kind,
    subjectCn: info.kz.commonName ?? commonName(info.subject),
    subjectDn: info.subject.display,
    iin: info.kz.iin,
    bin: info.kz.bin,
    organisation: info.kz.organization,
    issuerCn: commonName(info.issuer),
    issuerDn: info.issuer.display,
    // The protocol's value stays as NCALayer clients have always received it from us: lower-case hex.
    serialNumber: info.serialHex.toLowerCase(),
    notBefore: info.notBefore,
    notAfter: info.notAfter,
    extKeyUsage: info.extKeyUsage,
    keyAlgorithm: algorithmLabel(info),
    subjectKeyId: info.subjectKeyId,
    authorityKeyId: info.authorityKeyId,
  };
}

/** A CA certificate a site names in basics' signerParams.chain (base64 DER or PEM). */
export function describeCaCertificate(input: string): Pick<KeyDescription, 'subjectDn' | 'subjectKeyId'> {
  const info = inspectCertificate(input);
  return { subjectDn: info.subject.display, subjectKeyId: info.subjectKeyId };
}

/** DER SubjectPublicKeyInfo of a certificate. */
export function publicKeyOfCertificate(der: Uint8Array): Uint8Array {
  return inspectCertificate(der).publicKey.spki;
}
