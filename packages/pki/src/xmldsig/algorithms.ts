/**
 * XMLDSig algorithm URIs mapped onto the OIDs of the shared registries, so a signature method is
 * verified by `verifySignature` and a digest computed by `digestByOid`; the GOST URIs (Kalkan's) are
 * rows like any other.
 */
import { QtError } from '@qoltanba/errors';
import { oid } from '../oids.ts';
import type { Bytes } from '../encoding.ts';
import { ecdsaDerToRaw, ecdsaRawToDer } from '../crypto/index.ts';

export const C14N = 'http://www.w3.org/TR/2001/REC-xml-c14n-20010315';
export const C14N_WITH_COMMENTS = 'http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments';
export const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
export const EXC_C14N_WITH_COMMENTS = 'http://www.w3.org/2001/10/xml-exc-c14n#WithComments';
export const ENVELOPED_SIGNATURE = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';

export interface CanonicalizationAlgorithm {
  withComments: boolean;
  exclusive: boolean;
}

const canonicalizations: Readonly<Record<string, CanonicalizationAlgorithm>> = {
  [C14N]: { withComments: false, exclusive: false },
  [C14N_WITH_COMMENTS]: { withComments: true, exclusive: false },
  [EXC_C14N]: { withComments: false, exclusive: true },
  [EXC_C14N_WITH_COMMENTS]: { withComments: true, exclusive: true },
};

export function canonicalizationAlgorithm(uri: string): CanonicalizationAlgorithm | undefined {
  return canonicalizations[uri];
}

export interface XmlSignatureMethod {
  uri: string;
  /** The signature algorithm OID in the shared registry. */
  oid: string;
  /** SignatureValue bytes → the form the registry verifies (ECDSA: XML's r‖s → DER). */
  toRegistry(value: Uint8Array): Bytes;
  /** What a Signer returns → SignatureValue bytes. */
  fromSigner(signature: Uint8Array): Bytes;
}

const signatureMethods = new Map<string, XmlSignatureMethod>();
const digestMethods = new Map<string, string>();

export function registerXmlSignatureMethod(method: XmlSignatureMethod): void {
  signatureMethods.set(method.uri, method);
}

export function registerXmlDigestMethod(uri: string, digestOid: string): void {
  digestMethods.set(uri, digestOid);
}

export function signatureMethodByUri(uri: string): XmlSignatureMethod {
  const m = signatureMethods.get(uri);
  if (!m) throw new QtError('QT_ERR_ALGORITHM_UNSUPPORTED', `The XML signature method ${uri} is not supported`, { uri });
  return m;
}

export function signatureMethodForOid(sigOid: string): XmlSignatureMethod {
  for (const m of signatureMethods.values()) if (m.oid === sigOid) return m;
  throw new QtError('QT_ERR_ALGORITHM_UNSUPPORTED', `No XML signature method is known for ${sigOid}`, { oid: sigOid });
}

export function digestOidByUri(uri: string): string {
  const d = digestMethods.get(uri);
  if (!d) throw new QtError('QT_ERR_ALGORITHM_UNSUPPORTED', `The XML digest method ${uri} is not supported`, { uri });
  return d;
}

export function digestUriForOid(digestOid: string): string {
  for (const [uri, o] of digestMethods) if (o === digestOid) return uri;
  throw new QtError('QT_ERR_ALGORITHM_UNSUPPORTED', `No XML digest method is known for ${digestOid}`, { oid: digestOid });
}

const same = (b: Uint8Array): Bytes => new Uint8Array(b);

for (const [uri, sigOid] of [
  ['http://www.w3.org/2000/09/xmldsig#rsa-sha1', oid.sha1WithRsa],
  ['http://www.w3.org/2001/04/xmldsig-more#rsa-sha256', oid.sha256WithRsa],
  ['http://www.w3.org/2001/04/xmldsig-more#rsa-sha384', oid.sha384WithRsa],
  ['http://www.w3.org/2001/04/xmldsig-more#rsa-sha512', oid.sha512WithRsa],
] as const) {
  registerXmlSignatureMethod({ uri, oid: sigOid, toRegistry: same, fromSigner: same });
}

// XMLDSig ECDSA values are r‖s of the curve size (RFC 4050), not the DER the registry and Signers use.
for (const [uri, sigOid, size] of [
  ['http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256', oid.ecdsaWithSha256, 32],
  ['http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384', oid.ecdsaWithSha384, 48],
] as const) {
  registerXmlSignatureMethod({ uri, oid: sigOid, toRegistry: (v) => ecdsaRawToDer(v), fromSigner: (der) => ecdsaDerToRaw(der, size) });
}

registerXmlDigestMethod('http://www.w3.org/2000/09/xmldsig#sha1', oid.sha1);
registerXmlDigestMethod('http://www.w3.org/2001/04/xmlenc#sha256', oid.sha256);
registerXmlDigestMethod('http://www.w3.org/2001/04/xmldsig-more#sha384', oid.sha384);
registerXmlDigestMethod('http://www.w3.org/2001/04/xmlenc#sha512', oid.sha512);

// NCA/Kalkan GOST URIs. The SignatureValue holds exactly the bytes NCA puts into certificates (r‖s,
// little-endian each) and the DigestValue the digest in memory order — checked on an XML document
// signed by Kalkan with a 2015 test key, which verifies with these rows unchanged.
const KZ_GOST_NS = 'urn:ietf:params:xml:ns:pkigovkz:xmlsec:algorithms:';
for (const [uri, sigOid] of [
  [`${KZ_GOST_NS}gostr34102015-gostr34112015-512`, oid.kzGost2015_512Sign],
  [`${KZ_GOST_NS}gostr34102015-gostr34112015-256`, oid.kzGost2015_256Sign],
  ['http://www.w3.org/2001/04/xmldsig-more#gost34310-gost34311', oid.kzGost2004Sign],
] as const) {
  registerXmlSignatureMethod({ uri, oid: sigOid, toRegistry: same, fromSigner: same });
}
registerXmlDigestMethod(`${KZ_GOST_NS}gostr34112015-512`, oid.kzStreebog512);
registerXmlDigestMethod(`${KZ_GOST_NS}gostr34112015-256`, oid.kzStreebog256);
registerXmlDigestMethod('http://www.w3.org/2001/04/xmldsig-more#gost34311', oid.kzGost34311_95);
