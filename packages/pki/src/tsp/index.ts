/**
 * RFC 3161 time-stamping, the client side: build a request, read the TSA's response, check a token (imprint,
 * nonce, signature, TSA certificate role and chain as of genTime). The TSA service issues tokens elsewhere;
 * the CAdES levels (../cades) and the agent put them into signatures with cms/edit.ts.
 */
import type { Bytes } from '../encoding.ts';
import { createTimeStampRequest, type TimeStampRequestOptions } from './request.ts';
import { acceptTimeStampResponse } from './response.ts';
import type { TsaTransport } from './http.ts';
import type { TimeStampInfo } from './token.ts';

export {
  createTimeStampRequest,
  readTimeStampRequest,
  timeStampHashOid,
  TIME_STAMP_HASH_NAMES,
  type ReadTimeStampRequestOptions,
  type TimeStampRequest,
  type TimeStampRequestOptions,
} from './request.ts';
export { httpTsaTransport, type TsaTransport } from './http.ts';
export { readTimeStampResponse, acceptTimeStampResponse, type TimeStampResponse } from './response.ts';
export { parseTimeStampToken, type TimeStampInfo } from './token.ts';
export {
  verifyTimeStampToken,
  checkTimeStampToken,
  type TimeStampExpectation,
  type TimeStampTokenCheck,
  type CheckTimeStampOptions,
  type TimeStampVerdict,
} from './check.ts';
export { PKI_FAILURE_BITS, PKI_STATUS, TimeStampReq, TimeStampResp, PkiStatusInfo, type PkiFailureInfo, type PkiStatus } from './asn1.ts';


/** Asks a TSA for a stamp over `data` (or a digest) and returns the token once it answers this very request. */
export async function obtainTimeStamp(transport: TsaTransport, options: TimeStampRequestOptions): Promise<{ token: Bytes; info: TimeStampInfo }> {
  const request = await createTimeStampRequest(options);
  const answer = await transport(request.der);
  return acceptTimeStampResponse(answer, request);
}
