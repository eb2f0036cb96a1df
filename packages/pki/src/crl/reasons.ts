/** RFC 5280 §5.3.1 CRLReason, shared by CRL entries and OCSP RevokedInfo. */
import { QtError } from '@qoltanba/errors';

export type CrlReason =
  | 'unspecified'
  | 'keyCompromise'
  | 'cACompromise'
  | 'affiliationChanged'
  | 'superseded'
  | 'cessationOfOperation'
  | 'certificateHold'
  | 'removeFromCRL'
  | 'privilegeWithdrawn'
  | 'aACompromise';

export const crlReasonCodes: Readonly<Record<CrlReason, number>> = {
  unspecified: 0,
  keyCompromise: 1,
  cACompromise: 2,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
  certificateHold: 6,
  // 7 is not used
  removeFromCRL: 8,
  privilegeWithdrawn: 9,
  aACompromise: 10,
};

const byCode = new Map(Object.entries(crlReasonCodes).map(([name, code]) => [code, name as CrlReason]));

/** Undefined for a code RFC 5280 does not define; callers decide whether that is malformed. */
export function crlReasonFromCode(code: number): CrlReason | undefined {
  return byCode.get(code);
}

export function crlReasonCode(reason: CrlReason): number {
  const code = crlReasonCodes[reason];
  if (code === undefined) throw new QtError('QT_ERR_INPUT_INVALID', `"${String(reason)}" is not a CRL reason`);
  return code;
}
