/**
 * XMLDSig verification of every ds:Signature in a document: reference digests first, then the
 * signature over the canonical SignedInfo with the KeyInfo certificate (or one the caller supplies).
 * Algorithms come from the URI tables, hashes and signatures from the shared registries.
 * Chain and revocation are path/'s job; the result carries the certificates it needs.
 */
import type { Document, Element } from '@xmldom/xmldom';
import { QtError } from '@qoltanba/errors';
import { bytesEqual, fromBase64, utf8, type Bytes } from '../encoding.ts';
import { algorithmName, verifySignature } from '../crypto/index.ts';
import { budgetFrom, type PathBudget, type PathBudgetLimits } from '../path/budget.ts';
import { assertValidAt, readCertificate, type CertificateFacts } from '../cms/certificates.ts';
import { digestByOid, digestName } from '../cms/digests.ts';
import { canonicalizationAlgorithm, digestOidByUri, signatureMethodByUri } from './algorithms.ts';
import { canonicalize } from './c14n.ts';
import { dsChild, dsChildren, elementsInOrder, parseXml, XMLDSIG_NS } from './dom.ts';
import { dereference, transformedOctets, type TransformSpec } from './references.ts';

export interface VerifyXmlOptions {
  /** When given, the signer certificate must be within its validity period at this instant. */
  at?: Date;
  /** The signer certificate to verify with, when KeyInfo carries none (or to insist on this one). */
  certificate?: Uint8Array | string;
  maxChars?: number;
  /**
   * The work allowed (one signature check per ds:Signature, KeyInfo certificates), or a PathBudget to share
   * with the signers' chain validation (validatePath's `budget`). Default: a fresh budget with default limits.
   */
  budget?: PathBudget | PathBudgetLimits | undefined;
}

export interface XmlReferenceReport {
  uri: string;
  transforms: string[];
  digestMethod: { uri: string; name: string };
  digestValue: Bytes;
  /** What the reference covers: the whole document, or the element it names. */
  covers: { document: true } | { element: string; id: string };
}

export interface XmlSignatureReport {
  /** DER of the certificate the signature verified with. */
  certificate: Bytes;
  /** DER of every KeyInfo/X509Data certificate, in order. */
  certificates: Bytes[];
  signatureMethod: string;
  signatureAlgorithm: { oid: string; name: string };
  canonicalizationMethod: string;
  references: XmlReferenceReport[];
}

export interface XmlVerification extends XmlSignatureReport {
  /** Every signature in the document (the top-level fields repeat the first). */
  signatures: XmlSignatureReport[];
}

export async function verifyXml(xml: string, options: VerifyXmlOptions = {}): Promise<XmlVerification> {
  const doc = parseXml(xml, options.maxChars);
  const signatureElements = elementsInOrder(doc).filter((e) => e.namespaceURI === XMLDSIG_NS && e.localName === 'Signature');
  if (signatureElements.length === 0) throw new QtError('QT_ERR_XML_NO_SIGNATURE');
  const budget = budgetFrom(options.budget);
  // Paid up front, so a document with thousands of signatures or certificates is refused before any work on them.
  budget.spend('signatureChecks', signatureElements.length);
  budget.spend('certificates', signatureElements.reduce((n, s) => n + s.getElementsByTagNameNS(XMLDSIG_NS, 'X509Certificate').length, 0));
  const given = options.certificate !== undefined ? readCertificate(options.certificate) : undefined;
  const signatures: XmlSignatureReport[] = [];
  for (const element of signatureElements) signatures.push(await verifyOne(doc, element, given, options.at));
  return { ...(signatures[0] as XmlSignatureReport), signatures };
}

async function verifyOne(doc: Document, signature: Element, given: CertificateFacts | undefined, at: Date | undefined): Promise<XmlSignatureReport> {
  const signedInfo = required(dsChild(signature, 'SignedInfo'), 'SignedInfo');
  const c14nUri = algorithmOf(required(dsChild(signedInfo, 'CanonicalizationMethod'), 'CanonicalizationMethod'));
  const c14n = canonicalizationAlgorithm(c14nUri);
  if (!c14n) throw new QtError('QT_ERR_ALGORITHM_UNSUPPORTED', `The canonicalization method ${c14nUri} is not supported`, { uri: c14nUri });
  const method = signatureMethodByUri(algorithmOf(required(dsChild(signedInfo, 'SignatureMethod'), 'SignatureMethod')));
  const referenceElements = dsChildren(signedInfo, 'Reference');
  if (referenceElements.length === 0) throw invalid('The signature has no Reference', 'structure');

  const references: XmlReferenceReport[] = [];
  for (const ref of referenceElements) references.push(await checkReference(doc, ref, signature));

  const certificates = keyInfoCertificates(signature, given !== undefined);
  const signer = given ?? certificates[0];
  if (!signer) {
    throw new QtError('QT_ERR_XML_SIGNER_NOT_FOUND', 'The signature carries no signer certificate (KeyInfo/X509Data) and none was supplied');
  }
  if (at) assertValidAt(signer, at);

  const signedBytes = utf8(
    canonicalize(signedInfo, { withComments: c14n.withComments, exclusive: c14n.exclusive, inclusivePrefixes: inclusivePrefixesOf(dsChild(signedInfo, 'CanonicalizationMethod')) }),
  );
  const valueText = required(dsChild(signature, 'SignatureValue'), 'SignatureValue').textContent ?? '';
  let value: Bytes;
  try {
    value = method.toRegistry(fromBase64(valueText));
  } catch {
    throw invalid('The SignatureValue is not valid base64', 'signature');
  }
  const valid = await verifySignature(method.oid, { spki: signer.spki, data: signedBytes, signature: value });
  if (!valid) throw invalid('The signature value does not verify over SignedInfo', 'signature');
  return {
    certificate: signer.der,
    certificates: certificates.map((c) => c.der),
    signatureMethod: method.uri,
    signatureAlgorithm: { oid: method.oid, name: algorithmName(method.oid) },
    canonicalizationMethod: c14nUri,
    references,
  };
}

async function checkReference(doc: Document, ref: Element, signature: Element): Promise<XmlReferenceReport> {
  const uri = ref.getAttribute('URI');
  if (uri === null) throw invalid('A Reference without a URI is not supported', 'reference');
  const transforms: TransformSpec[] = dsChildren(dsChild(ref, 'Transforms') ?? ref, 'Transform').map((t) => ({
    algorithm: algorithmOf(t),
    inclusivePrefixes: inclusivePrefixesOf(t),
  }));
  const digestUri = algorithmOf(required(dsChild(ref, 'DigestMethod'), 'DigestMethod'));
  const digestOid = digestOidByUri(digestUri);
  let expected: Bytes;
  try {
    expected = fromBase64(required(dsChild(ref, 'DigestValue'), 'DigestValue').textContent ?? '');
  } catch {
    throw invalid(`The DigestValue of reference "${uri}" is not valid base64`, 'digest');
  }
  const target = dereference(doc, uri);
  const actual = await digestByOid(digestOid, transformedOctets(target, transforms, signature));
  if (!bytesEqual(actual, expected)) {
    throw new QtError('QT_ERR_XML_SIGNATURE_INVALID', `The content of reference "${uri}" was changed after signing (digest mismatch)`, {
      reason: 'digest',
      uri,
    });
  }
  const node = target.node as Element;
  return {
    uri,
    transforms: transforms.map((t) => t.algorithm),
    digestMethod: { uri: digestUri, name: digestName(digestOid) },
    digestValue: expected,
    covers: target.node === doc ? { document: true } : { element: node.nodeName, id: uri.replace(/^#(xpointer\(id\(['"])?|['"]\)\)$/g, '') },
  };
}

/** KeyInfo/X509Data certificates; unreadable ones only matter when no certificate was supplied. */
function keyInfoCertificates(signature: Element, tolerant: boolean): CertificateFacts[] {
  const out: CertificateFacts[] = [];
  for (const data of dsChildren(dsChild(signature, 'KeyInfo') ?? signature, 'X509Data')) {
    for (const element of dsChildren(data, 'X509Certificate')) {
      const text = element.textContent?.trim() ?? '';
      if (text === '') continue;
      try {
        out.push(readCertificate(fromBase64(text)));
      } catch (e) {
        if (!tolerant) throw e;
      }
    }
  }
  return out;
}

function algorithmOf(e: Element): string {
  const alg = e.getAttribute('Algorithm');
  if (!alg) throw invalid(`ds:${e.localName} has no Algorithm`, 'structure');
  return alg;
}

/** exc-c14n's <InclusiveNamespaces PrefixList="…"/> child, if any. */
function inclusivePrefixesOf(e: Element | undefined): string[] | undefined {
  const child = e && [...elementsInOrder(e)].find((c) => c.localName === 'InclusiveNamespaces');
  return child?.getAttribute('PrefixList')?.split(/\s+/).filter(Boolean);
}

function required(e: Element | undefined, name: string): Element {
  if (!e) throw invalid(`The signature has no ds:${name}`, 'structure');
  return e;
}

function invalid(message: string, reason: string): QtError {
  return new QtError('QT_ERR_XML_SIGNATURE_INVALID', message, { reason });
}
