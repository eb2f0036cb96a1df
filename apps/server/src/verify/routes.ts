/**
 * POST /api/v1/verify — our own shape of the verifier: one document (CMS, XML or certificate) in, the
 * verdict of the core out, as describeVerdict words it (the CLI's `verify --json` prints the same). A
 * verdict, valid or not, is 200; input that is not a readable document or breaks a limit is an error with
 * its stable code, through the app's one error handler.
 */
import type { FastifyInstance } from 'fastify';
import {
  QtError,
  describeVerdict,
  fromBase64,
  verifyCertificateDocument,
  verifyCmsDocument,
  verifyXmlDocument,
  type Purpose,
  type RevocationKind,
  type RevocationMode,
} from '@qoltanba/pki';
import { errorSchema } from '../api/schemas.ts';
import { collectRoutes, serveOpenApi } from '../api/openapi.ts';
import type { VerifyService } from './service.ts';
import { verdictSchema, verifyBodySchema } from './schemas.ts';

export const VERIFY_PATH = '/api/v1/verify';

interface VerifyBody {
  cms?: string;
  data?: string;
  xml?: string;
  certificate?: string;
  at?: string;
  revocation?: RevocationMode;
  revocationKinds?: RevocationKind[];
  purpose?: Exclude<Purpose, 'ocspSigning'>;
  crls?: string[];
  ocspResponses?: string[];
  intermediates?: string[];
}

export interface VerifyRoutesOptions {
  service: VerifyService;
  serverUrl: string;
  version: string;
}

export async function verifyRoutes(app: FastifyInstance, { service, serverUrl, version }: VerifyRoutesOptions): Promise<void> {
  collectRoutes(app);
  app.post<{ Body: VerifyBody }>(
    VERIFY_PATH,
    {
      bodyLimit: service.options.limits.bodyBytes,
      schema: {
        operationId: 'verify',
        summary: 'Verify a CMS signature, a signed XML or a certificate',
        description:
          'Signatures, the chain to the trust store and revocation (OCSP, then CRL, fetched from the certificates\' own addresses and cached), ' +
          'as of `at`. Fail-closed by default: when no revocation answer can be had, the verdict is not valid and says why. No token needed.',
        tags: ['verify'],
        body: verifyBodySchema,
        response: {
          200: { description: 'The verdict (valid or not)', ...verdictSchema },
          ...Object.fromEntries([400, 413, 415, 429, 500].map((s) => [s, errorSchema])),
        },
      } as object,
    },
    async (request) => {
      const b = request.body;
      const documents = (['cms', 'xml', 'certificate'] as const).filter((k) => b[k] !== undefined);
      if (documents.length !== 1) {
        throw new QtError('QT_ERR_INPUT_INVALID', `Send exactly one of cms, xml, certificate (got ${documents.length ? documents.join(', ') : 'none'})`);
      }
      const options = await service.coreOptions({
        at: b.at ? new Date(b.at) : undefined,
        revocation: b.revocation,
        kinds: b.revocationKinds,
        purpose: b.purpose,
        crls: b.crls,
        ocspResponses: b.ocspResponses,
        intermediates: b.intermediates,
        content: b.data !== undefined ? fromBase64(b.data) : undefined,
      });
      const verdict = await service.run(() => {
        if (b.cms !== undefined) return verifyCmsDocument(b.cms, options);
        if (b.xml !== undefined) return verifyXmlDocument(b.xml, options);
        return verifyCertificateDocument(b.certificate as string, options);
      });
      return describeVerdict(verdict);
    },
  );
  serveOpenApi(app, { title: 'Qoltanba API', version, serverUrl });
}
