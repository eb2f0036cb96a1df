/**
 * Time-stamps as NCALayer puts them into signatures (CAdES-T): an RFC 3161 token over a signer's signature
 * value, as that signer's unsigned `signatureTimeStampToken` attribute. The request, the answer's checks
 * (status, imprint, nonce) and the editing of the CMS are pki's (tsp/, cades/, cms/edit.ts); here is the HTTP
 * exchange and the rule that a stamp that cannot be had is an error — a signature without the stamp the site
 * asked for is never returned as if it were the one it asked for.
 */
import { addSignatureTimeStamps, isQtError, QtError, SignedDataEditor, verifyTimeStampToken, type Bytes, type TsaTransport } from '@qoltanba/pki';

/** A TSA answers in well under a second; a slow one must not hold the person's confirmed signature forever. */
const TIMEOUT_MS = 20_000;
/** A token with its TSA chain is a few KiB. */
const MAX_REPLY_BYTES = 1 << 20;

/** POST application/timestamp-query → application/timestamp-reply (RFC 3161 §3.4), bounded in time and size. */
export function httpTsaTransport(url: string, options: { timeoutMs?: number } = {}): TsaTransport {
  return async (query) => {
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/timestamp-query', accept: 'application/timestamp-reply' },
        body: query,
        signal: AbortSignal.timeout(options.timeoutMs ?? TIMEOUT_MS),
        redirect: 'error',
      });
    } catch (e) {
      const inner = (e as { cause?: { code?: string; message?: string } }).cause;
      const cause = inner?.code ?? inner?.message ?? (e as Error).message;
      throw new QtError('QT_ERR_TSA_UNAVAILABLE', `The time-stamping authority ${url} cannot be reached (${cause})`);
    }
    if (!res.ok) throw new QtError('QT_ERR_TSA_UNAVAILABLE', `The time-stamping authority ${url} answered HTTP ${res.status}`);
    const length = Number(res.headers.get('content-length') ?? 0);
    if (length > MAX_REPLY_BYTES) throw new QtError('QT_ERR_TSP_MALFORMED', `The time-stamping authority ${url} sent ${length} bytes, not a time-stamp reply`);
    const body = new Uint8Array(await res.arrayBuffer());
    if (body.length > MAX_REPLY_BYTES) throw new QtError('QT_ERR_TSP_MALFORMED', `The time-stamping authority ${url} sent ${body.length} bytes, not a time-stamp reply`);
    return body;
  };
}

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
