/**
 * A signed XML document, judged: every ds:Signature (references and SignedInfo, verifyXml), then every
 * signer's chain with revocation. Nesting deeper than the limit is refused before anything recurses into it.
 */
import { QtError, asQtError } from '@qoltanba/errors';
import { derFrom } from '../encoding.ts';
import { elementsInOrder, parseXml, XMLDSIG_NS } from '../xmldsig/dom.ts';
import { verifyXml, type XmlVerification } from '../xmldsig/index.ts';
import { judgeChain } from './chain.ts';
import { checkCertificates, checkCount, tooLarge, xmlDepth } from './limits.ts';
import { prepare } from './policy.ts';
import { summarize } from './summary.ts';
import type { DocumentVerdict, SignerVerdict, VerifyDocumentOptions } from './types.ts';

export async function verifyXmlDocument(xml: string, options: VerifyDocumentOptions): Promise<DocumentVerdict> {
  const { limits, at, policy } = prepare(options);
  if (xml.length > limits.maxDocumentBytes) {
    throw tooLarge(`The XML document is larger than ${limits.maxDocumentBytes} characters`, { limit: limits.maxDocumentBytes });
  }
  const depth = xmlDepth(xml, limits.maxXmlDepth);
  if (depth > limits.maxXmlDepth) {
    throw tooLarge(`The XML document nests elements deeper than ${limits.maxXmlDepth} levels`, { limit: limits.maxXmlDepth });
  }
  let doc;
  try {
    doc = parseXml(xml, limits.maxDocumentBytes);
  } catch (e) {
    throw asQtError(e, 'QT_ERR_XML_MALFORMED');
  }
  const elements = elementsInOrder(doc).filter((e) => e.namespaceURI === XMLDSIG_NS);
  const signatures = elements.filter((e) => e.localName === 'Signature').length;
  if (signatures === 0) throw new QtError('QT_ERR_XML_NO_SIGNATURE');
  checkCount('signatures', signatures, limits.maxSigners);
  checkCount('certificates', elements.filter((e) => e.localName === 'X509Certificate').length + policy.intermediates.length, limits.maxCertificates);

  let verified: XmlVerification;
  try {
    verified = await verifyXml(xml, { maxChars: limits.maxDocumentBytes });
  } catch (e) {
    const error = asQtError(e, 'QT_ERR_XML_SIGNATURE_INVALID');
    return summarize('xml', at, [{ valid: false, error, certificate: undefined, chain: [] }], { xml: { signatures, references: 0 } });
  }
  const carried = checkCertificates(verified.signatures.flatMap((s) => s.certificates.map((c) => derFrom(c))), limits);
  const signers: SignerVerdict[] = [];
  for (const s of verified.signatures) {
    const verdict = await judgeChain(s.certificate, carried, policy);
    signers.push({ valid: verdict.ok, error: verdict.error, certificate: s.certificate, chain: verdict.chain, signatureAlgorithm: s.signatureAlgorithm.name });
  }
  const references = verified.signatures.reduce((n, s) => n + s.references.length, 0);
  return summarize('xml', at, signers, { xml: { signatures, references } });
}
