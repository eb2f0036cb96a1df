/**
 * One OCSP answer as the routes send it. Its own file, below both the responder (which makes answers) and
 * the in-memory cache (which keeps them and is given to the responder).
 */
export type OcspOutcome = 'cached' | 'presigned' | 'signed' | 'malformedRequest' | 'unauthorized' | 'internalError' | 'tryLater';

export interface OcspAnswer {
  der: Uint8Array;
  outcome: OcspOutcome;
  /** Present when HTTP caches may keep the answer (no nonce): its thisUpdate and nextUpdate. */
  validity?: { thisUpdate: Date; nextUpdate: Date } | undefined;
  /** The HTTP ETag of `der`, when already computed (answers from memory). */
  etag?: string | undefined;
}
