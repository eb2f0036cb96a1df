/** XMLDSig enveloped signatures in NCALayer's form: signing, verification, canonicalization. */
export { signXml, NCALAYER_TRANSFORMS, type SignXmlOptions } from './sign.ts';
export { verifyXml, type VerifyXmlOptions, type XmlVerification, type XmlSignatureReport, type XmlReferenceReport } from './verify.ts';
export { canonicalize, type C14nOptions } from './c14n.ts';
export { parseXml, DEFAULT_MAX_XML_CHARS } from './dom.ts';
export { NCALAYER_XML_DECLARATION } from './splice.ts';
export type { LineEnding } from './layout.ts';
export {
  registerXmlSignatureMethod,
  registerXmlDigestMethod,
  C14N,
  C14N_WITH_COMMENTS,
  EXC_C14N,
  EXC_C14N_WITH_COMMENTS,
  ENVELOPED_SIGNATURE,
  type XmlSignatureMethod,
} from './algorithms.ts';
