/**
 * RFC 3161 messages around the token: TimeStampReq, TimeStampResp and PKIStatusInfo (RFC 3161 §2.4, RFC 4210
 * §5.2.3). No installed @peculiar package declares them, so they are written with the same asn1-schema
 * decorators as the rest of the package; TSTInfo and MessageImprint live beside the other CMS schemas.
 */
import { AsnIntegerArrayBufferConverter, AsnProp, AsnPropTypes, BitString } from '@peculiar/asn1-schema';
import { Extension } from '@peculiar/asn1-x509';
import { MessageImprint } from '../cms/asn1.ts';

export { MessageImprint, TstInfo, Accuracy } from '../cms/asn1.ts';

export class TimeStampReq {
  @AsnProp({ type: AsnPropTypes.Integer })
  version = 1;

  @AsnProp({ type: MessageImprint })
  messageImprint = new MessageImprint();

  @AsnProp({ type: AsnPropTypes.ObjectIdentifier, optional: true })
  reqPolicy?: string;

  @AsnProp({ type: AsnPropTypes.Integer, converter: AsnIntegerArrayBufferConverter, optional: true })
  nonce?: ArrayBuffer;

  @AsnProp({ type: AsnPropTypes.Boolean, defaultValue: false })
  certReq = false;

  @AsnProp({ type: Extension, context: 0, implicit: true, repeated: 'sequence', optional: true })
  extensions?: Extension[];

  constructor(params: Partial<TimeStampReq> = {}) {
    Object.assign(this, params);
  }
}

export class PkiStatusInfo {
  @AsnProp({ type: AsnPropTypes.Integer })
  status = 0;

  /** PKIFreeText ::= SEQUENCE SIZE (1..MAX) OF UTF8String */
  @AsnProp({ type: AsnPropTypes.Utf8String, repeated: 'sequence', optional: true })
  statusString?: string[];

  @AsnProp({ type: BitString, optional: true })
  failInfo?: BitString;

  constructor(params: Partial<PkiStatusInfo> = {}) {
    Object.assign(this, params);
  }
}

export class TimeStampResp {
  @AsnProp({ type: PkiStatusInfo })
  status = new PkiStatusInfo();

  /** The token (a ContentInfo), kept as its bytes: the editor and the checks need them exactly. */
  @AsnProp({ type: AsnPropTypes.Any, optional: true })
  timeStampToken?: ArrayBuffer;

  constructor(params: Partial<TimeStampResp> = {}) {
    Object.assign(this, params);
  }
}

/** PKIStatus (RFC 4210 §5.2.3). */
export const PKI_STATUS = ['granted', 'grantedWithMods', 'rejection', 'waiting', 'revocationWarning', 'revocationNotification'] as const;
export type PkiStatus = (typeof PKI_STATUS)[number];

/** PKIFailureInfo bits RFC 3161 §2.4.2 names, by bit number. */
export const PKI_FAILURE_BITS = {
  badAlg: 0,
  badRequest: 2,
  badDataFormat: 5,
  timeNotAvailable: 14,
  unacceptedPolicy: 15,
  unacceptedExtension: 16,
  addInfoNotAvailable: 17,
  systemFailure: 25,
} as const;
export type PkiFailureInfo = keyof typeof PKI_FAILURE_BITS;
