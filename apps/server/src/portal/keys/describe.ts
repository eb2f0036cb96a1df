/** How a certificate reads in the portal: purpose, algorithm, status as of now, days left. */
import { formatSerial, inspectCertificate } from '@qoltanba/pki';
import type { Translator } from '@qoltanba/i18n';
import type { CertificateRecord } from '../../ra/records.ts';

export type ShownStatus = 'good' | 'revoked' | 'on_hold' | 'expired' | 'notYetValid';

const DAY_MS = 86_400_000;

export function algorithmOf(der: Uint8Array): string {
  const info = inspectCertificate(der);
  const key = `${info.publicKey.algorithm}${info.publicKey.bits ? `-${info.publicKey.bits}` : ''}`;
  const hash = /sha-?(\d+)/i.exec(info.signatureAlgorithm.name);
  return hash ? `${key} / SHA-${hash[1]}` : `${key} / ${info.signatureAlgorithm.name}`;
}

export function shownStatus(c: Pick<CertificateRecord, 'status' | 'notBefore' | 'notAfter'>, now: Date): ShownStatus {
  if (c.status !== 'good') return c.status;
  if (now > c.notAfter) return 'expired';
  if (now < c.notBefore) return 'notYetValid';
  return 'good';
}

/** Whole days until expiry, rounded up (a key expiring this evening has 1 day left). */
export function daysLeft(notAfter: Date, now: Date): number {
  return Math.max(0, Math.ceil((notAfter.getTime() - now.getTime()) / DAY_MS));
}

export function isUsable(c: CertificateRecord, now: Date): boolean {
  return shownStatus(c, now) === 'good';
}

export function kindLabel(t: Translator, kind: 'AUTH' | 'SIGN'): string {
  return t.t(`kind.${kind}`);
}

export function storageLabel(t: Translator, storage: 'file' | 'token'): string {
  return storage === 'file' ? t.t('word.storage.computer') : t.t('word.storage.token');
}

/** The serial in the one display spelling (pki formatSerial: upper-case hex, leading zeros kept). */
export function serialLabel(serial: string): string {
  return formatSerial(serial);
}
