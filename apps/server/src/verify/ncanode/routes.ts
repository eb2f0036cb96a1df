/**
 * NCANode 3.x's REST shapes for what we verify — /x509/info, /x509/verify, /cms/verify, /cms/extract,
 * /xml/verify, /pkcs12/info — so an NCANode client switches by changing its base URL. Every verdict comes
 * from the same core as /api/v1/verify and the CLI; this file only translates. Errors keep our stable code
 * and HTTP status (the app's one mapping) and NCANode's `{ status, message }` body.
 */
import type { FastifyError, FastifyInstance } from 'fastify';
import {
  QtError,
  asQtError,
  fromBase64,
  isQtError,
  pairKeyWithCertificate,
  parseCms,
  readPkcs12,
  toBase64,
  utf8,
  verifyCertificateDocument,
  verifyCmsDocument,
  verifyDataSignature,
  verifyXmlDocument,
  type DocumentVerdict,
  type RevocationKind,
} from '@qoltanba/pki';
import { httpStatusFor } from '../../http/error-status.ts';
import { translateFastifyError } from '../../http/app.ts';
import type { VerifyService } from '../service.ts';
import { adesOf, certificateInfo, javaDate, type NcaCertificateInfo } from './certificate-info.ts';
import { timeFieldsOf } from './tsp-info.ts';
import {
  cmsExtractBody,
  cmsExtractResponse,
  cmsVerificationResponse,
  cmsVerifyBody,
  errorResponse,
  pkcs12InfoBody,
  verificationResponse,
  x509InfoBody,
  x509VerifyBody,
  xmlVerifyBody,
} from './schemas.ts';

type Check = 'OCSP' | 'CRL';
interface Common {
  revocationCheck?: Check[];
  at?: string;
}

const OK = { status: 200, message: 'OK' };
/** Bytes that are not a certificate are "Invalid certificate given", as NCANode says, not an error. */
const UNREADABLE = new Set(['QT_ERR_CERT_MALFORMED', 'QT_ERR_BASE64_MALFORMED', 'QT_ERR_PEM_MALFORMED', 'QT_ERR_DER_MALFORMED']);

export async function ncanodeRoutes(app: FastifyInstance, { service }: { service: VerifyService }): Promise<void> {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    let qt = isQtError(err) ? err : translateFastifyError(err);
    if (!qt) {
      request.log.error({ err }, 'unhandled error');
      qt = new QtError('QT_ERR_INTERNAL');
    }
    const status = httpStatusFor(qt.code);
    void reply.status(status).type('application/json').send({ status, message: qt.message, code: qt.code, ...(qt.details ? { details: qt.details } : {}) });
  });

  const limits = service.options.limits;
  const route = <B>(url: string, body: object, response: object, handler: (b: B) => Promise<object>) =>
    app.post<{ Body: B }>(url, { bodyLimit: limits.bodyBytes, schema: { body, response: { 200: response, '4xx': errorResponse, '5xx': errorResponse } } }, (request) =>
      service.run(() => handler(request.body as B)),
    );
  const optionsFor = (b: Common) => service.coreOptions({ kinds: kindsOf(b.revocationCheck), at: b.at ? new Date(b.at) : undefined });

  route<Common & { certs: string[] }>('/x509/info', x509InfoBody, verificationResponse, async (b) => {
    if (b.certs.length > limits.certificatesPerRequest) {
      throw new QtError('QT_ERR_TOO_LARGE', `At most ${limits.certificatesPerRequest} certificates per request`, { limit: limits.certificatesPerRequest });
    }
    const options = await optionsFor(b);
    const signers: (NcaCertificateInfo | null)[] = [];
    let message: string | undefined;
    for (const [i, cert] of b.certs.entries()) {
      const verdict = await readable(() => verifyCertificateDocument(cert.replace(/\s+/g, ''), options));
      if (!verdict) {
        signers.push(null);
        message ??= `[${i}]: Invalid certificate given.`;
        continue;
      }
      const s = verdict.signers[0] as DocumentVerdict['signers'][number];
      signers.push(certificateInfo(s.certificate, s));
      if (!s.valid) message ??= `[${i}]: ${s.error?.message}`;
    }
    const valid = b.certs.length > 0 && message === undefined;
    return { ...OK, message: message ?? 'OK', valid, signers };
  });

  route<Common & { certificate: string; signature?: string; data?: string }>('/x509/verify', x509VerifyBody, verificationResponse, async (b) => {
    if (b.signature === undefined || b.data === undefined) throw new QtError('QT_ERR_INPUT_INVALID', 'Both signature (base64) and data are required');
    const signature = fromBase64(b.signature);
    const options = await optionsFor(b);
    const verdict = await readable(() => verifyDataSignature({ certificate: b.certificate.replace(/\s+/g, ''), signature, data: utf8(b.data as string) }, options));
    if (!verdict) return { ...OK, message: '[0]: Invalid certificate given.', valid: false, signers: [null] };
    return verificationOf(verdict);
  });

  route<Common & { cms: string; data?: string }>('/cms/verify', cmsVerifyBody, cmsVerificationResponse, async (b) => {
    const options = await optionsFor(b);
    const content = b.data !== undefined ? fromBase64(b.data) : undefined;
    const verdict = await verifyCmsDocument(b.cms, { ...options, content });
    return {
      ...OK,
      message: verdict.error?.message ?? 'OK',
      valid: verdict.valid,
      signers: verdict.signers.map((s) => ({
        certificates: s.certificate ? [certificateInfo(s.certificate, s)] : [],
        ...timeFieldsOf(s, verdict.at),
        ...adesOf(s.error),
        message: s.error?.message ?? 'OK',
      })),
    };
  });

  route<{ cms: string }>('/cms/extract', cmsExtractBody, cmsExtractResponse, async (b) => {
    let report;
    try {
      report = parseCms(b.cms, { maxBytes: limits.maxDocumentBytes });
    } catch (e) {
      throw asQtError(e, 'QT_ERR_CMS_MALFORMED');
    }
    if (!report.content) throw new QtError('QT_ERR_CMS_NO_CONTENT', "The CMS is detached: it doesn't have signed content");
    return { ...OK, data: toBase64(report.content) };
  });

  route<Common & { xml: string }>('/xml/verify', xmlVerifyBody, verificationResponse, async (b) => {
    return verificationOf(await verifyXmlDocument(b.xml, await optionsFor(b)));
  });

  route<Common & { keys: { key: string; password: string; keyAlias?: string | null }[] }>('/pkcs12/info', pkcs12InfoBody, verificationResponse, async (b) => {
    if (b.keys.length > limits.keysPerRequest) {
      throw new QtError('QT_ERR_TOO_LARGE', `At most ${limits.keysPerRequest} key files per request`, { limit: limits.keysPerRequest });
    }
    const options = await optionsFor(b);
    const signers: (NcaCertificateInfo | null)[] = [];
    let message: string | undefined;
    for (const [i, k] of b.keys.entries()) {
      const contents = await readPkcs12(fromBase64(k.key), k.password);
      const index = k.keyAlias ? contents.keys.findIndex((key) => key.friendlyName === k.keyAlias || key.localKeyId === k.keyAlias) : 0;
      if (index < 0) throw new QtError('QT_ERR_PKCS12_NO_KEY', `Key file ${i + 1} has no key with the alias "${k.keyAlias}"`, { key: i });
      const pair = pairKeyWithCertificate(contents, index);
      const verdict = await verifyCertificateDocument(pair.certificate, { ...options, intermediates: [...(options.intermediates ?? []), ...pair.chain] });
      const s = verdict.signers[0] as DocumentVerdict['signers'][number];
      signers.push(certificateInfo(s.certificate, s));
      if (!s.valid) message ??= `[${i}]: ${s.error?.message}`;
    }
    return { ...OK, message: message ?? 'OK', valid: message === undefined, signers };
  });
}

function kindsOf(checks: readonly Check[] | undefined): RevocationKind[] | undefined {
  return checks?.length ? [...new Set(checks.map((c): RevocationKind => (c === 'OCSP' ? 'ocsp' : 'crl')))] : undefined;
}

/** The verdict, or undefined when the certificate itself cannot be read. */
async function readable(verify: () => Promise<DocumentVerdict>): Promise<DocumentVerdict | undefined> {
  try {
    return await verify();
  } catch (e) {
    if (isQtError(e) && UNREADABLE.has(e.code)) return undefined;
    throw e;
  }
}

function verificationOf(verdict: DocumentVerdict) {
  const ades = adesOf(verdict.error);
  return {
    ...OK,
    message: verdict.error?.message ?? 'OK',
    valid: verdict.valid,
    signers: verdict.signers.filter((s) => s.certificate).map((s) => certificateInfo(s.certificate, s)),
    bestSignatureTime: javaDate(verdict.at),
    adesStatus: ades.status,
    ...(ades.subIndication ? { adesSubIndication: ades.subIndication } : {}),
  };
}
