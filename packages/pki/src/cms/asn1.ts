/**
 * ASN.1 schemas CMS needs beyond @peculiar/asn1-cms: ESS signing-certificate attributes (RFC 2634,
 * RFC 5035) and the RFC 3161 TSTInfo. No installed @peculiar package defines them, so they are
 * declared here with the same asn1-schema decorators the rest of the package uses.
 */
import { AsnArray, AsnIntegerArrayBufferConverter, AsnProp, AsnPropTypes, AsnType, AsnTypeTypes, OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, Extension, GeneralName, GeneralNames } from '@peculiar/asn1-x509';
import { Attribute } from '@peculiar/asn1-cms';

export class IssuerSerial {
  @AsnProp({ type: GeneralNames })
  issuer = new GeneralNames();

  @AsnProp({ type: AsnPropTypes.Integer, converter: AsnIntegerArrayBufferConverter })
  serialNumber = new ArrayBuffer(0);

  constructor(params: Partial<IssuerSerial> = {}) {
    Object.assign(this, params);
  }
}

/** ESSCertID (v1): the certificate's SHA-1 hash. */
export class EssCertId {
  @AsnProp({ type: OctetString })
  certHash = new OctetString();

  @AsnProp({ type: IssuerSerial, optional: true })
  issuerSerial?: IssuerSerial;
}

/** ESSCertIDv2: hashAlgorithm DEFAULT sha256, so it is absent for SHA-256 in DER. */
export class EssCertIdV2 {
  @AsnProp({ type: AlgorithmIdentifier, optional: true })
  hashAlgorithm?: AlgorithmIdentifier;

  @AsnProp({ type: OctetString })
  certHash = new OctetString();

  @AsnProp({ type: IssuerSerial, optional: true })
  issuerSerial?: IssuerSerial;

  constructor(params: Partial<EssCertIdV2> = {}) {
    Object.assign(this, params);
  }
}

export class SigningCertificate {
  @AsnProp({ type: EssCertId, repeated: 'sequence' })
  certs: EssCertId[] = [];

  @AsnProp({ type: AsnPropTypes.Any, optional: true })
  policies?: ArrayBuffer;
}

export class SigningCertificateV2 {
  @AsnProp({ type: EssCertIdV2, repeated: 'sequence' })
  certs: EssCertIdV2[] = [];

  @AsnProp({ type: AsnPropTypes.Any, optional: true })
  policies?: ArrayBuffer;

  constructor(params: Partial<SigningCertificateV2> = {}) {
    Object.assign(this, params);
  }
}

/** SignedAttributes as a plain SET OF Attribute: the bytes the signature covers. */
@AsnType({ type: AsnTypeTypes.Set, itemType: Attribute })
export class AttributeSet extends AsnArray<Attribute> {
  constructor(items?: Attribute[]) {
    super(items);
    Object.setPrototypeOf(this, AttributeSet.prototype);
  }
}

export class MessageImprint {
  @AsnProp({ type: AlgorithmIdentifier })
  hashAlgorithm = new AlgorithmIdentifier();

  @AsnProp({ type: OctetString })
  hashedMessage = new OctetString();
}

export class Accuracy {
  @AsnProp({ type: AsnPropTypes.Integer, optional: true })
  seconds?: number;

  @AsnProp({ type: AsnPropTypes.Integer, context: 0, implicit: true, optional: true })
  millis?: number;

  @AsnProp({ type: AsnPropTypes.Integer, context: 1, implicit: true, optional: true })
  micros?: number;
}

export class TstInfo {
  @AsnProp({ type: AsnPropTypes.Integer })
  version = 1;

  @AsnProp({ type: AsnPropTypes.ObjectIdentifier })
  policy = '';

  @AsnProp({ type: MessageImprint })
  messageImprint = new MessageImprint();

  @AsnProp({ type: AsnPropTypes.Integer, converter: AsnIntegerArrayBufferConverter })
  serialNumber = new ArrayBuffer(0);

  @AsnProp({ type: AsnPropTypes.GeneralizedTime })
  genTime = new Date();

  @AsnProp({ type: Accuracy, optional: true })
  accuracy?: Accuracy;

  @AsnProp({ type: AsnPropTypes.Boolean, defaultValue: false })
  ordering = false;

  @AsnProp({ type: AsnPropTypes.Integer, converter: AsnIntegerArrayBufferConverter, optional: true })
  nonce?: ArrayBuffer;

  @AsnProp({ type: GeneralName, context: 0, optional: true })
  tsa?: GeneralName;

  @AsnProp({ type: Extension, context: 1, implicit: true, repeated: 'sequence', optional: true })
  extensions?: Extension[];
}
