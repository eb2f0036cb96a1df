/**
 * The few ASN.1 types PKCS#12 needs that the @peculiar packages lack: CMS EncryptedData and the
 * password-based-encryption parameters of PKCS#12 v1 and PKCS#5 v2 (there is no @peculiar PKCS#5
 * module). Everything else comes from @peculiar/asn1-pfx, -pkcs8 and -cms.
 */
import { AsnConvert, AsnProp, AsnPropTypes, AsnType, AsnTypeTypes, OctetString } from '@peculiar/asn1-schema';
import { Attribute, EncryptedContentInfo } from '@peculiar/asn1-cms';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import * as asn1js from 'asn1js';
import { QtError } from '@qoltanba/errors';
import { concatBytes, toArrayBuffer, type Bytes } from '../encoding.ts';

/** RFC 5652 §8: `EncryptedData ::= SEQUENCE { version, encryptedContentInfo, unprotectedAttrs [1] IMPLICIT … OPTIONAL }` */
@AsnType({ type: AsnTypeTypes.Sequence })
export class EncryptedData {
  @AsnProp({ type: AsnPropTypes.Integer })
  version = 0;

  @AsnProp({ type: EncryptedContentInfo })
  encryptedContentInfo = new EncryptedContentInfo();

  @AsnProp({ type: Attribute, repeated: 'set', context: 1, implicit: true, optional: true })
  unprotectedAttrs?: Attribute[];

  constructor(params: Partial<EncryptedData> = {}) {
    Object.assign(this, params);
  }
}

/** RFC 7292 appendix C: `pkcs-12PbeParams ::= SEQUENCE { salt OCTET STRING, iterations INTEGER }` */
@AsnType({ type: AsnTypeTypes.Sequence })
export class Pkcs12PbeParams {
  @AsnProp({ type: OctetString })
  salt = new OctetString();

  @AsnProp({ type: AsnPropTypes.Integer })
  iterations = 0;

  constructor(params: Partial<Pkcs12PbeParams> = {}) {
    Object.assign(this, params);
  }
}

/**
 * RFC 8018 A.2. The salt is a CHOICE whose `otherSource` branch nobody uses; declaring only the
 * OCTET STRING makes such a file fail to parse, which is what we want.
 */
@AsnType({ type: AsnTypeTypes.Sequence })
export class Pbkdf2Params {
  @AsnProp({ type: OctetString })
  salt = new OctetString();

  @AsnProp({ type: AsnPropTypes.Integer })
  iterationCount = 0;

  @AsnProp({ type: AsnPropTypes.Integer, optional: true })
  keyLength?: number;

  @AsnProp({ type: AlgorithmIdentifier, optional: true })
  prf?: AlgorithmIdentifier;

  constructor(params: Partial<Pbkdf2Params> = {}) {
    Object.assign(this, params);
  }
}

/** RFC 8018 A.4: `PBES2-params ::= SEQUENCE { keyDerivationFunc, encryptionScheme }` */
@AsnType({ type: AsnTypeTypes.Sequence })
export class Pbes2Params {
  @AsnProp({ type: AlgorithmIdentifier })
  keyDerivationFunc = new AlgorithmIdentifier();

  @AsnProp({ type: AlgorithmIdentifier })
  encryptionScheme = new AlgorithmIdentifier();

  constructor(params: Partial<Pbes2Params> = {}) {
    Object.assign(this, params);
  }
}

/**
 * Parses DER/BER with a schema class; anything the parser dislikes becomes `code` with `what` in the
 * message, so callers never see an asn1js exception.
 */
export function parseAs<T>(data: ArrayBuffer | Uint8Array, type: new () => T, what: string): T {
  try {
    return AsnConvert.parse(data instanceof Uint8Array ? toArrayBuffer(data) : data, type);
  } catch (e) {
    throw new QtError('QT_ERR_PKCS12_MALFORMED', `The key file is malformed: its ${what} cannot be parsed`, undefined, { cause: e });
  }
}

export function serialize(value: unknown): Bytes {
  return new Uint8Array(AsnConvert.serialize(value));
}

/**
 * The value of an OCTET STRING given as its full encoding, including the BER constructed form
 * (`24 80 04 … 04 … 00 00`) that Java-made key files use for their contents.
 */
export function octetStringValue(encoded: ArrayBuffer, what: string): Bytes {
  const { offset, result } = asn1js.fromBER(encoded);
  if (offset === -1 || !(result instanceof asn1js.OctetString) || offset !== encoded.byteLength) {
    throw new QtError('QT_ERR_PKCS12_MALFORMED', `The key file is malformed: its ${what} is not an OCTET STRING`);
  }
  return new Uint8Array(result.getValue());
}

/** The [0] IMPLICIT encrypted content of an EncryptedContentInfo, primitive or constructed. */
export function encryptedContentBytes(info: EncryptedContentInfo): Bytes | undefined {
  const content = info.encryptedContent;
  if (!content) return undefined;
  if (content.value) return new Uint8Array(content.value.buffer);
  if (content.constructedValue) return concatBytes(...content.constructedValue.map((p) => new Uint8Array(p.buffer)));
  return undefined;
}
