/**
 * The public status surface (DESIGN §3): OCSP, CRLs, CA certificates, and the CA list relying parties
 * discover everything from. Register on the app from createHttpApp: errors other than OCSP's use its JSON
 * error handler (unknown CA → 404 QT_ERR_CA_NOT_FOUND, no CRL yet → 404 QT_ERR_CRL_NOT_FOUND).
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { QtError } from '@qoltanba/pki';
import type { CaEntry } from './directory.ts';
import type { CrlKind } from './crl/generate.ts';
import type { PublishedCrl } from './crl/latest.ts';
import { ocspRoutes } from './ocsp/routes.ts';
import { resolveTsaOptions } from '../tsa/options.ts';
import type { StatusService } from './service.ts';

export interface StatusRoutesOptions {
  service: StatusService;
  /** false: /ocsp through Fastify only, never the node:http front door (bench/ocsp.ts measures the difference). */
  ocspFrontDoor?: boolean;
  /** false: the front door on node:http only, without the raw fast path beneath it (bench/ocsp.ts compares). */
  ocspFastPath?: boolean;
}

export interface CaUrls {
  certificateUrl: string;
  crlUrl: string;
  deltaCrlUrl: string;
  ocspUrl: string;
}

/** Where a CA's certificate, CRLs and OCSP are published (what issued certificates point to). */
export function caUrls(publicUrl: string, caName: string): CaUrls {
  const base = publicUrl.replace(/\/+$/, '');
  return {
    certificateUrl: `${base}/cert/${caName}.cer`,
    crlUrl: `${base}/crl/${caName}.crl`,
    deltaCrlUrl: `${base}/crl/${caName}-delta.crl`,
    ocspUrl: `${base}/ocsp`,
  };
}

const caSchema = {
  type: 'object',
  required: ['name', 'subject', 'status', 'notBefore', 'notAfter', 'certificate', 'certificateUrl', 'crlUrl', 'deltaCrlUrl', 'ocspUrl'],
  properties: {
    name: { type: 'string' },
    subject: { type: 'string' },
    status: { type: 'string', enum: ['active', 'retired'] },
    notBefore: { type: 'string', format: 'date-time' },
    notAfter: { type: 'string', format: 'date-time' },
    /** Base64 DER. */
    certificate: { type: 'string' },
    certificateUrl: { type: 'string' },
    crlUrl: { type: 'string' },
    deltaCrlUrl: { type: 'string' },
    ocspUrl: { type: 'string' },
    issuer: { type: ['string', 'null'] },
    issuerCertificateUrl: { type: ['string', 'null'] },
    /** The CA's time-stamping authority (RFC 3161 POST), and its certificate (base64 DER); null without one. */
    tsaUrl: { type: ['string', 'null'] },
    tsaCertificate: { type: ['string', 'null'] },
  },
} as const;

const caListSchema = {
  response: {
    200: {
      type: 'object',
      required: ['cas', 'tsaUrl', 'tsaPolicy'],
      properties: {
        cas: { type: 'array', items: caSchema },
        /** POST /tsp: the default time-stamping authority, and the policy its stamps carry; null when there is none. */
        tsaUrl: { type: ['string', 'null'] },
        tsaPolicy: { type: ['string', 'null'] },
      },
    },
  },
} as const;

export async function statusRoutes(app: FastifyInstance, options: StatusRoutesOptions): Promise<void> {
  const { service } = options;
  const { config } = service.ctx;
  const now = () => service.ctx.now();

  await app.register(ocspRoutes, { responder: service.responder, maxRequestBytes: config.limits.ocspRequestBytes, trustProxy: config.ocsp.trustProxy, now, frontDoor: options.ocspFrontDoor ?? true, fastPath: options.ocspFastPath ?? true });

  app.get('/api/v1/ca', { schema: caListSchema }, async () => {
    const all = await service.directory.all();
    const byId = new Map(all.map((c) => [c.id, c]));
    const issuing = all.filter((ca) => ca.kind === 'issuing');
    const anyTsa = issuing.some((ca) => ca.tsaCertificate);
    return {
      cas: issuing.map((ca) => describeCa(ca, ca.parentId === null ? undefined : byId.get(ca.parentId), config.publicUrl)),
      tsaUrl: anyTsa ? tsaUrl(config.publicUrl) : null,
      tsaPolicy: anyTsa ? resolveTsaOptions(config.tsa).policy : null,
    };
  });

  app.get<{ Params: { file: string } }>('/cert/:file', async (request, reply) => {
    const name = request.params.file.match(/^(.+)\.cer$/)?.[1];
    if (!name) throw notServed(request);
    const ca = await service.directory.byName(name);
    const der = Buffer.from(ca.certificate);
    const etag = `"${createHash('sha256').update(der).digest('base64url').slice(0, 32)}"`;
    reply.header('cache-control', 'public, max-age=86400, no-transform').header('etag', etag);
    if (request.headers['if-none-match'] === etag) return reply.code(304).send();
    return reply.type('application/pkix-cert').send(der);
  });

  app.get<{ Params: { file: string } }>('/crl/:file', async (request, reply) => {
    const { ca, kind } = await crlFor(request, service);
    const crl = await service.crls.get(ca.id, ca.name, kind);
    const every = kind === 'full' ? config.crl.fullEveryMinutes : config.crl.deltaEveryMinutes;
    const etag = `"${ca.name}-${crl.crlNumber}"`;
    setCrlCaching(reply, crl, etag, now(), every * 60);
    if (request.headers['if-none-match'] === etag) return reply.code(304).send();
    return reply.type('application/pkix-crl').send(crl.der);
  });
}

/** `{ca}.crl` is the full CRL, `{ca}-delta.crl` the delta; an exact CA name wins if both readings exist. */
async function crlFor(request: FastifyRequest<{ Params: { file: string } }>, service: StatusService): Promise<{ ca: CaEntry; kind: CrlKind }> {
  const base = request.params.file.match(/^(.+)\.crl$/)?.[1];
  if (!base) throw notServed(request);
  const exact = await service.directory.findByName(base);
  if (exact) return { ca: exact, kind: 'full' };
  const deltaOf = base.match(/^(.+)-delta$/)?.[1];
  if (deltaOf) return { ca: await service.directory.byName(deltaOf), kind: 'delta' };
  return { ca: await service.directory.byName(base), kind: 'full' };
}

/**
 * Cacheable until nextUpdate (Expires), but HTTP caches revalidate after the publication interval: a CRL
 * published early (after revocations) should reach relying parties before the old one runs out.
 */
function setCrlCaching(reply: FastifyReply, crl: PublishedCrl, etag: string, now: Date, intervalSeconds: number): void {
  const untilNext = Math.max(0, Math.floor((crl.nextUpdate.getTime() - now.getTime()) / 1000));
  reply.header('cache-control', `public, max-age=${Math.min(untilNext, intervalSeconds)}, no-transform, must-revalidate`);
  reply.header('last-modified', crl.thisUpdate.toUTCString());
  reply.header('expires', crl.nextUpdate.toUTCString());
  reply.header('etag', etag);
}

function describeCa(ca: CaEntry, issuer: CaEntry | undefined, publicUrl: string) {
  return {
    name: ca.name,
    subject: ca.subject,
    status: ca.status,
    notBefore: ca.notBefore.toISOString(),
    notAfter: ca.notAfter.toISOString(),
    certificate: Buffer.from(ca.certificate).toString('base64'),
    ...caUrls(publicUrl, ca.name),
    issuer: issuer?.name ?? null,
    issuerCertificateUrl: issuer ? caUrls(publicUrl, issuer.name).certificateUrl : null,
    tsaUrl: ca.tsaCertificate ? tsaUrl(publicUrl, ca.name) : null,
    tsaCertificate: ca.tsaCertificate ? Buffer.from(ca.tsaCertificate).toString('base64') : null,
  };
}

/** POST here for a time-stamp: /tsp (the default TSA) or /tsp/<ca>. */
export function tsaUrl(publicUrl: string, caName?: string): string {
  const base = publicUrl.replace(/\/+$/, '');
  return caName ? `${base}/tsp/${caName}` : `${base}/tsp`;
}

function notServed(request: FastifyRequest): QtError {
  return new QtError('QT_ERR_NOT_FOUND', `Nothing is served at ${request.method} ${request.url.split('?')[0]}`);
}
