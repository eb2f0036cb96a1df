/**
 * Revocation evidence over HTTP for the verifier core: OCSP (RFC 6960 POST, one SHA-1 certID, no nonce so
 * answers can be shared and cached, as RFC 5019 intends) and CRLs, through the bounded fetch and the cache.
 * Mirrors rewrite URL prefixes first (closed networks keep copies of NCA's CRLs). What is fetched is only
 * read enough to know how long it may be kept; whether it is trustworthy is the core's judgement.
 */
import { QtError, buildOcspRequest, computeIssuerHashes, inspectCertificate, parseCrl, parseOcspResponse, toHex, type Bytes, type RevocationSource } from '@qoltanba/pki';
import type { ResolvedVerifyOptions } from '../options.ts';
import { EvidenceCache } from './cache.ts';
import { blockListOf, httpFetch, type HttpLimits } from './http.ts';

export type FetchSettings = ResolvedVerifyOptions['fetch'];

export interface FetcherStats {
  fetches: number;
  cacheHits: number;
}

export class RevocationFetcher {
  private readonly cache: EvidenceCache;
  private readonly forbidden;
  private readonly mirrors: [string, string][];
  readonly stats: FetcherStats = { fetches: 0, cacheHits: 0 };

  constructor(
    private readonly settings: FetchSettings,
    private readonly now: () => number = Date.now,
  ) {
    this.cache = new EvidenceCache({ maxBytes: settings.cacheBytes, failureMs: settings.failureCacheSeconds * 1000, now });
    this.forbidden = blockListOf(settings.forbid);
    // Longest prefix first, so a specific mirror wins over a general one.
    this.mirrors = Object.entries(settings.mirrors).sort((a, b) => b[0].length - a[0].length);
  }

  /** A source for one request: all its fetches end by the request's deadline. */
  forRequest(): RevocationSource {
    const deadline = Date.now() + this.settings.requestDeadlineMs;
    return {
      fetchCrl: (url) => this.crl(url, deadline),
      fetchOcsp: (url, request) => this.ocsp(url, request.certificate, request.issuer, deadline),
    };
  }

  /** Forgets cached CRLs and OCSP answers. */
  forget(): void {
    this.cache.clear();
  }

  get cacheSize(): { entries: number; bytes: number } {
    return this.cache.size;
  }

  mirrored(url: string): string {
    for (const [from, to] of this.mirrors) if (url.startsWith(from)) return to + url.slice(from.length);
    return url;
  }

  private limits(maxBytes: number, deadline: number): HttpLimits {
    return { timeoutMs: this.settings.timeoutMs, maxBytes, forbidden: this.forbidden, deadline };
  }

  private async crl(url: string, deadline: number): Promise<Bytes> {
    const target = this.mirrored(url);
    let loaded = false;
    const bytes = await this.cache.get(`crl ${target}`, async () => {
      loaded = true;
      this.stats.fetches++;
      const body = await httpFetch({ url: target }, this.limits(this.settings.maxCrlBytes, deadline));
      const crl = parseCrl(body);
      return { bytes: body, until: crl.nextUpdate?.getTime() };
    });
    if (!loaded) this.stats.cacheHits++;
    return bytes;
  }

  private async ocsp(url: string, certificate: Bytes, issuer: Bytes, deadline: number): Promise<Bytes> {
    const target = this.mirrored(url);
    const serial = inspectCertificate(certificate).serialHex.toUpperCase();
    const keyHash = (await computeIssuerHashes(issuer, ['SHA-1']))['SHA-1']?.keyHash ?? new Uint8Array();
    let loaded = false;
    const bytes = await this.cache.get(`ocsp ${target} ${toHex(keyHash)} ${serial}`, async () => {
      loaded = true;
      this.stats.fetches++;
      const body = await httpFetch(
        { url: target, method: 'POST', body: await buildOcspRequest(certificate, issuer, { hash: 'SHA-1' }), contentType: 'application/ocsp-request' },
        this.limits(this.settings.maxOcspBytes, deadline),
      );
      const parsed = parseOcspResponse(body);
      if (parsed.status !== 'successful' || !parsed.basic) {
        throw new QtError('QT_ERR_OCSP_UNSUCCESSFUL', `the responder answered "${parsed.status}"`, { url: target, status: parsed.status });
      }
      const single = parsed.basic.responses.find((r) => r.certId.serial === serial);
      const until = single?.nextUpdate?.getTime() ?? (this.settings.ocspCacheSeconds > 0 ? this.now() + this.settings.ocspCacheSeconds * 1000 : undefined);
      return { bytes: body, until: single ? until : undefined };
    });
    if (!loaded) this.stats.cacheHits++;
    return bytes;
  }
}
