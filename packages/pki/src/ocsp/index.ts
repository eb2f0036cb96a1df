export {
  certIdIsFor,
  certIdsEqual,
  computeIssuerHashes,
  makeCertId,
  normalizeSerial,
  type IssuerHashes,
  type OcspCertId,
} from './cert-id.ts';
export { buildOcspRequest, parseOcspRequest, MAX_OCSP_REQUEST_BYTES, type BuildOcspRequestOptions, type OcspRequestInfo } from './request.ts';
export { buildOcspErrorResponse, buildOcspResponse, type BuildOcspResponseOptions, type OcspResponder } from './build-response.ts';
export { parseOcspResponse, type OcspBasicResponse, type ParsedOcspResponse } from './parse-response.ts';
export { verifyOcspResponse, type OcspVerdict, type VerifyOcspOptions } from './verify-response.ts';
export {
  ocspSaysNeverIssued,
  type OcspCertStatus,
  type OcspErrorStatus,
  type OcspResponseStatus,
  type OcspSingleResponse,
} from './types.ts';
