/**
 * Time-stamps as NCALayer puts them into signatures (CAdES-T): an RFC 3161 token over a signer's signature
 * value, as that signer's unsigned `signatureTimeStampToken` attribute. The request, the answer's checks
 * (status, imprint, nonce), the HTTP exchange (tsp/http.ts) and the editing of the CMS are pki's (tsp/, cades/,
 * cms/edit.ts); here is the rule that a stamp that cannot be had is an error — a signature without the stamp the site
 * asked for is never returned as if it were the one it asked for.
 */
import { addSignatureTimeStamps, httpTsaTransport, isQtError, QtError, SignedDataEditor, verifyTimeStampToken, type Bytes, type TsaTransport } from '@qoltanba/pki';

export class TimeStamper {
  private readonly transport: TsaTransport;

  constructor(
    readonly url: string,
    transport?: TsaTransport,
  ) {
    this.transport = transport ?? httpTsaTransport(url);
  }

  /**
   * Adds a signature time-stamp to the signers `signers` (default: every signer that has none yet). The
   * token must answer this request (pki checks status, imprint and nonce) and be a TSA's signature over it
   * (signature, ESS binding, timeStamping-only certificate valid at its time). Any failure throws, naming
   * the TSA, and the CMS is not returned.
   */
  async stamp(cms: Uint8Array, signers?: readonly number[]): Promise<Bytes> {
    try {
      const before = SignedDataEditor.open(cms);
      const { cms: stamped, added } = await addSignatureTimeStamps(cms, { transport: this.transport, signers });
      for (const a of added) await verifyTimeStampToken(a.info.token, { data: before.signatureValue(a.signer) });
      return stamped;
    } catch (e) {
      if (isQtError(e) && (e.code.startsWith('QT_ERR_TSP_') || e.code === 'QT_ERR_TSA_UNAVAILABLE' || e.code === 'QT_ERR_KEY_USAGE')) {
        const why = e.code === 'QT_ERR_TSA_UNAVAILABLE' ? e.message : `the time-stamping authority ${this.url} answered with no usable time-stamp: ${e.message}`;
        throw new QtError(e.code, `${why}. No signature was returned: the site asked for one with a time-stamp`, undefined, { cause: e });
      }
      throw e;
    }
  }
}

/** The stamper for a request that needs one, or a clear refusal before the person is asked anything. */
export function requireStamper(stamper: TimeStamper | undefined): TimeStamper {
  if (!stamper) {
    throw new QtError(
      'QT_ERR_TSA_UNAVAILABLE',
      'The site asks for a signature with a time-stamp, and no time-stamping authority is configured (qoltanba agent install --ca <url> or --tsa-url <url>)',
    );
  }
  return stamper;
}
