/**
 * Enveloped XML signatures in NCALayer's form, for its signXml / signXmls / basics.sign(format:"xml"):
 * the signature goes last into the root (or the `parentXPath` element) and references the whole
 * document (URI="") or the `tbsXPath` element by its Id ("#id"), with NCALayer's transforms.
 */
import * as xpath from 'xpath';
import type { Document, Element } from '@xmldom/xmldom';
import { QtError } from '@qoltanba/errors';
import { bytesEqual, utf8 } from '../encoding.ts';
import type { Signer } from '../crypto/index.ts';
import { readCertificate } from '../cms/certificates.ts';
import { digestByOid, digestOidForSignature } from '../cms/digests.ts';
import { C14N_WITH_COMMENTS, digestUriForOid, ENVELOPED_SIGNATURE, signatureMethodForOid } from './algorithms.ts';
import { canonicalize } from './c14n.ts';
import { dsChild, elementsInOrder, isElement, parseXml } from './dom.ts';
import { signatureMarkup, type LineEnding } from './layout.ts';
import { dereference, ID_ATTRIBUTES, transformedOctets } from './references.ts';
import { insertIntoElement, withNcaLayerDeclaration } from './splice.ts';

/** NCALayer's transforms: enveloped-signature, then inclusive c14n with comments. */
export const NCALAYER_TRANSFORMS = [ENVELOPED_SIGNATURE, C14N_WITH_COMMENTS] as const;

export interface SignXmlOptions {
  signer: Signer;
  /** The signer's certificate (DER, PEM or base64); it goes into KeyInfo/X509Data. */
  certificate: Uint8Array | string;
  /** XPath of the element to sign (it must carry an Id/ID/id attribute); empty or absent: the whole document. */
  tbsXPath?: string;
  /** XPath of the element the signature is appended to; empty or absent: the root. */
  parentXPath?: string;
  /** CRLF as in NCALayer's commonUtils replies (default), LF as in its basics replies. */
  lineEnding?: LineEnding;
  maxChars?: number;
}

export async function signXml(xml: string, options: SignXmlOptions): Promise<string> {
  const doc = parseXml(xml, options.maxChars);
  const cert = readCertificate(options.certificate);
  if (!bytesEqual(cert.spki, options.signer.publicKey)) {
    throw new QtError('QT_ERR_KEY_MISMATCH', 'The signing key does not belong to the given certificate');
  }
  const method = signatureMethodForOid(options.signer.algorithm.oid);
  const digestOid = digestOidForSignature(options.signer.algorithm.oid, options.signer.algorithm.parameters);

  const referenceUri = options.tbsXPath ? `#${idOf(selectElement(doc, options.tbsXPath, 'tbsXPath'))}` : '';
  const parent = options.parentXPath ? selectElement(doc, options.parentXPath, 'parentXPath') : (doc.documentElement as Element);
  const parentOrdinal = elementsInOrder(doc).indexOf(parent);

  // The enveloped transform takes the signature out again, so the digest is over the document as given.
  const transforms = NCALAYER_TRANSFORMS.map((algorithm) => ({ algorithm }));
  const digestValue = await digestByOid(digestOid, transformedOctets(dereference(doc, referenceUri), transforms, undefined));

  const markup = (signatureValue: Uint8Array) =>
    signatureMarkup({
      eol: options.lineEnding ?? '\r\n',
      signatureMethod: method.uri,
      referenceUri,
      transforms: NCALAYER_TRANSFORMS,
      digestMethod: digestUriForOid(digestOid),
      digestValue,
      signatureValue,
      certificate: cert.der,
    });
  const base = withNcaLayerDeclaration(xml);
  const unsigned = insertIntoElement(base, parentOrdinal, markup(new Uint8Array(0)));

  // SignedInfo is canonicalized where it will live (inclusive c14n takes in the ancestors' namespaces),
  // from the text a verifier will parse.
  const placed = parseXml(unsigned, Number.MAX_SAFE_INTEGER);
  const signature = elementsInOrder(placed)[parentOrdinal]?.lastChild;
  const signedInfo = isElement(signature) ? dsChild(signature, 'SignedInfo') : undefined;
  if (!signedInfo) throw new QtError('QT_ERR_XML_MALFORMED', 'The signature could not be placed into the document');
  const signedBytes = utf8(canonicalize(signedInfo, { withComments: false }));
  const signatureValue = method.fromSigner(await options.signer.sign(signedBytes));
  return insertIntoElement(base, parentOrdinal, markup(signatureValue));
}

function selectElement(doc: Document, expression: string, what: string): Element {
  let selected: unknown;
  try {
    selected = xpath.useNamespaces(rootNamespaces(doc))(expression, doc as unknown as globalThis.Node, true);
  } catch (e) {
    throw new QtError('QT_ERR_INPUT_INVALID', `The ${what} expression "${expression}" is not valid XPath: ${(e as Error).message}`, { [what]: expression });
  }
  if (!isElement(selected as Element | undefined)) {
    throw new QtError('QT_ERR_XML_XPATH_NOT_FOUND', `The ${what} expression "${expression}" selects no element`, { [what]: expression });
  }
  return selected as Element;
}

/** Prefixes in an XPath resolve against the root's declarations, as NCALayer's XPathAPI does. */
function rootNamespaces(doc: Document): Record<string, string> {
  const root = doc.documentElement as Element;
  const out: Record<string, string> = {};
  for (let i = 0; i < root.attributes.length; i++) {
    const a = root.attributes.item(i);
    if (a?.prefix === 'xmlns' && a.localName) out[a.localName] = a.value;
  }
  return out;
}

function idOf(element: Element): string {
  for (const name of ID_ATTRIBUTES) {
    const id = element.getAttribute(name);
    if (id) return id;
  }
  throw new QtError('QT_ERR_INPUT_INVALID', `The element to sign (${element.nodeName}) has no Id attribute for the signature to reference`);
}
