/**
 * Which keys fit a site's request: commonUtils' keyType and basics' signerParams. NCA puts the role OIDs
 * (individual, legal entity, CEO, …) into the extended key usage next to clientAuth/emailProtection, so one
 * "all of these OIDs are in the EKU" rule covers both purpose and role.
 */
import type { Translator } from '@qoltanba/i18n';
import type { KeyDescription, UsableKey } from './types.ts';

export interface KeyRequirements {
  /** commonUtils keyType; anything else than these two means "any key", as in NCALayer. */
  keyType?: 'SIGNATURE' | 'AUTHENTICATION';
  extKeyUsageOids?: readonly string[];
  iin?: string;
  bin?: string;
  /** Certificate serial number, hex (case and leading zeros do not matter). */
  serialNumber?: string;
  /** The issuing CA must be one of these (their subject key ids / DNs); empty or absent = any CA. */
  issuers?: readonly Pick<KeyDescription, 'subjectDn' | 'subjectKeyId'>[];
}

export function keyTypeFrom(value: string): KeyRequirements['keyType'] {
  return value === 'SIGNATURE' || value === 'AUTHENTICATION' ? value : undefined;
}

function normalizeSerial(hex: string): string {
  return hex.toLowerCase().replace(/[^0-9a-f]/g, '').replace(/^0+(?=.)/, '');
}

function issuedByOneOf(d: KeyDescription, issuers: NonNullable<KeyRequirements['issuers']>): boolean {
  return issuers.some((ca) =>
    ca.subjectKeyId && d.authorityKeyId ? ca.subjectKeyId === d.authorityKeyId : ca.subjectDn === d.issuerDn,
  );
}

export function fits(req: KeyRequirements, key: UsableKey): boolean {
  const d = key.description;
  if (req.keyType === 'SIGNATURE' && d.kind !== 'SIGN') return false;
  if (req.keyType === 'AUTHENTICATION' && d.kind !== 'AUTH') return false;
  if (req.extKeyUsageOids?.some((o) => !d.extKeyUsage.includes(o))) return false;
  if (req.iin && d.iin !== req.iin) return false;
  if (req.bin && d.bin !== req.bin) return false;
  if (req.serialNumber && normalizeSerial(req.serialNumber) !== normalizeSerial(d.serialNumber)) return false;
  if (req.issuers && req.issuers.length > 0 && !issuedByOneOf(d, req.issuers)) return false;
  return true;
}

export function describeRequirements(req: KeyRequirements, t: Translator): string {
  const parts: string[] = [];
  if (req.keyType === 'SIGNATURE') parts.push(t.t('req.sign'));
  if (req.keyType === 'AUTHENTICATION') parts.push(t.t('req.auth'));
  if (req.extKeyUsageOids && req.extKeyUsageOids.length > 0) parts.push(t.t('req.eku', { oids: req.extKeyUsageOids.join(', ') }));
  if (req.iin) parts.push(t.t('req.iin', { iin: req.iin }));
  if (req.bin) parts.push(t.t('req.bin', { bin: req.bin }));
  if (req.serialNumber) parts.push(t.t('req.serial', { serial: req.serialNumber }));
  if (req.issuers && req.issuers.length > 0) parts.push(t.t('req.chain'));
  return parts.length > 0 ? parts.join('; ') : t.t('keys.anyKey');
}
