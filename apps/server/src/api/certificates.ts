/**
 * The certificate routes of the CA API (/api/v1): issue, look up, revoke, hold, release, list a person's
 * certificates. Thin: each route authenticates (requireScope), lets the schema refuse malformed input,
 * calls the RA service, and shapes the record for the wire. Every error leaves through the app's one
 * error handler with its stable code.
 */
import type { FastifyInstance, FastifyRequest, FastifySchema, preValidationHookHandler } from 'fastify';
import { QtError } from '@qoltanba/pki';
import { certificateStatus, hold, issue, listBySubject, releaseHold, revoke, type CertificateRecord, type Ra, type RevocationReason } from '../ra/index.ts';
import { principalOf, requireScope } from './auth.ts';
import {
  certificateListSchema,
  certificateParamsSchema,
  certificateSchema,
  emptyBodySchema,
  errorResponses,
  holdBodySchema,
  idempotencyHeaderSchema,
  issueBodySchema,
  issuedSchema,
  revokeBodySchema,
  statusChangeSchema,
  subjectParamsSchema,
} from './schemas.ts';
import type { ApiScope } from './tokens.ts';

export interface CertificateRoutesOptions {
  ra: Ra;
}

interface IssueBody {
  ca?: string;
  csr: string;
  profile: string;
  subject: { surname: string; name: string; patronymic?: string; iin: string; organization?: string; bin?: string };
  email?: string;
  storage: 'file' | 'token';
  identification?: 'in-person' | 'remote';
  applicationId?: string;
}

interface CertificateParams {
  ca: string;
  serial: string;
}

export async function certificateRoutes(app: FastifyInstance, { ra }: CertificateRoutesOptions): Promise<void> {
  const guard = (scope: ApiScope) => requireScope(ra.ctx.store.db, scope, () => ra.ctx.now());
  const limits = ra.ctx.config.limits;
  // The service accepts CSR text up to twice csrBytes (PEM/base64 of the DER, with line breaks), plus the other fields.
  const issueBodyLimit = limits.csrBytes * 2 + 16 * 1024;

  app.post<{ Body: IssueBody }>(
    '/api/v1/certificates',
    {
      bodyLimit: issueBodyLimit,
      onRequest: guard('issue'),
      preValidation: refuseUnknownFields,
      config: { scope: 'issue' },
      schema: documented({
        operationId: 'issueCertificate',
        summary: 'Issue a certificate for a PKCS#10 request',
        description:
          'Validates the request (profile, subject, CSR key policy and proof of possession, key reuse), signs with the CA key and stores ' +
          'the certificate, the audit entry and the idempotency record in one transaction before answering. Repeating the request with ' +
          'the same Idempotency-Key returns the same certificate (200, replayed: true); another request under the same key is 409 ' +
          'QT_ERR_IDEMPOTENCY_CONFLICT. On 503 the outcome may be unknown: repeat with the same key.',
        tags: ['certificates'],
        headers: idempotencyHeaderSchema,
        body: issueBodySchema,
        response: { 201: { description: 'Issued', ...issuedSchema }, 200: { description: 'The stored answer to an earlier identical request', ...issuedSchema }, ...errorResponses(404, 409, 413, 415, 422) },
      }),
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const b = request.body;
      const result = await issue(ra, {
        ca: b.ca,
        csr: b.csr,
        profile: b.profile,
        subject: b.subject,
        email: b.email,
        storage: b.storage,
        identification: b.identification,
        applicationId: b.applicationId,
        idempotencyKey: headerValue(request, 'idempotency-key') as string,
        actor: principal.actor,
      });
      const c = result.certificate;
      void reply.status(result.replayed ? 200 : 201).header('location', `/api/v1/certificates/${c.ca}/${c.serial}`);
      return { ...wire(c), replayed: result.replayed };
    },
  );

  app.get<{ Params: CertificateParams }>(
    '/api/v1/certificates/:ca/:serial',
    {
      onRequest: guard('read'),
      config: { scope: 'read' },
      schema: documented({
        operationId: 'getCertificate',
        summary: 'A certificate, its status and PEM',
        tags: ['certificates'],
        params: certificateParamsSchema,
        response: { 200: { description: 'The certificate', ...certificateSchema }, ...errorResponses(404) },
      }),
    },
    async (request) => wire(await certificateStatus(ra, request.params.ca, request.params.serial)),
  );

  const change = (path: string, operationId: string, summary: string, description: string, body: object, run: (request: FastifyRequest<{ Params: CertificateParams; Body: Record<string, unknown> }>, actor: string) => ReturnType<typeof revoke>) =>
    app.post<{ Params: CertificateParams; Body: Record<string, unknown> }>(
      `/api/v1/certificates/:ca/:serial/${path}`,
      {
        onRequest: guard('revoke'),
        preValidation: [emptyBodyIsObject, refuseUnknownFields],
        config: { scope: 'revoke' },
        schema: documented({
          operationId,
          summary,
          description,
          tags: ['revocation'],
          params: certificateParamsSchema,
          body,
          response: { 200: { description: 'The certificate after the change', ...statusChangeSchema }, ...errorResponses(404, 409, 413, 415) },
        }),
      },
      async (request) => {
        const result = await run(request, principalOf(request).actor);
        return { ...wire(result.certificate), changed: result.changed, alsoRevoked: result.alsoRevoked };
      },
    );

  change(
    'revoke',
    'revokeCertificate',
    'Revoke a certificate (RFC 5280 reason)',
    'Final. OCSP answers "revoked" when this returns; the next CRL lists it (a delta CRL follows soon). Repeating the same revocation is harmless ' +
      '(changed: false); another reason is 409 QT_ERR_CERT_ALREADY_REVOKED, except keyCompromise, which may still be recorded and also revokes ' +
      'every other certificate of the same key.',
    revokeBodySchema,
    (request, actor) =>
      revoke(ra, {
        ca: request.params.ca,
        serial: request.params.serial,
        reason: request.body.reason as RevocationReason,
        invalidityDate: dateOf(request.body.invalidityDate),
        actor,
      }),
  );
  change(
    'hold',
    'holdCertificate',
    'Suspend a certificate (certificateHold)',
    'OCSP answers "revoked (certificateHold)" when this returns. A revoked certificate cannot be put on hold (409 QT_ERR_CERT_ALREADY_REVOKED).',
    holdBodySchema,
    (request, actor) => hold(ra, { ca: request.params.ca, serial: request.params.serial, invalidityDate: dateOf(request.body.invalidityDate), actor }),
  );
  change(
    'release',
    'releaseCertificate',
    'Lift a hold',
    'The certificate is good again; the next delta CRL says removeFromCRL. Only a held certificate can be released (409 QT_ERR_CERT_NOT_ON_HOLD).',
    emptyBodySchema,
    (request, actor) => releaseHold(ra, { ca: request.params.ca, serial: request.params.serial, actor }),
  );

  app.get<{ Params: { iin: string } }>(
    '/api/v1/subjects/:iin/certificates',
    {
      onRequest: guard('read'),
      config: { scope: 'read' },
      schema: documented({
        operationId: 'listCertificatesOfPerson',
        summary: "A person's certificates, newest expiry first",
        tags: ['certificates'],
        params: subjectParamsSchema,
        response: { 200: { description: 'The certificates', ...certificateListSchema }, ...errorResponses() },
      }),
    },
    async (request) => ({ certificates: (await listBySubject(ra, request.params.iin)).map(wire) }),
  );
}

/** Route schemas carry their OpenAPI words (see openapi.ts); Fastify ignores keys it does not know. */
interface DocumentedSchema extends FastifySchema {
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
}

function documented(schema: DocumentedSchema): FastifySchema {
  return schema;
}

function headerValue(request: FastifyRequest, name: string): string | undefined {
  const v = request.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function dateOf(value: unknown): Date | undefined {
  return typeof value === 'string' ? new Date(value) : undefined;
}

/** The record as JSON: dates as ISO text, no DER (the PEM carries it). */
function wire(c: CertificateRecord) {
  const iso = (d: Date | null) => (d ? d.toISOString() : null);
  return {
    ca: c.ca,
    serial: c.serial,
    kind: c.kind,
    profile: c.profile,
    subject: c.subject,
    iin: c.iin,
    bin: c.bin,
    status: c.status,
    revocationReason: c.revocationReason,
    revokedAt: iso(c.revokedAt),
    invalidityDate: iso(c.invalidityDate),
    notBefore: c.notBefore.toISOString(),
    notAfter: c.notAfter.toISOString(),
    storage: c.storage,
    applicationId: c.applicationId,
    issuedAt: c.issuedAt.toISOString(),
    pem: c.pem,
  };
}

/** A POST without a body is an empty object (hold and release need none). */
const emptyBodyIsObject: preValidationHookHandler = async (request) => {
  if (request.body === undefined || request.body === null) request.body = {};
};

/**
 * The app's validator strips properties a schema does not declare; for a CA a misspelt field (a
 * "patronymc" silently dropped from a certificate) must be an error instead. Checked before validation.
 */
const refuseUnknownFields: preValidationHookHandler = async (request) => {
  const schema = (request.routeOptions.schema?.body ?? undefined) as SchemaNode | undefined;
  const unknown = schema ? unknownFields(request.body, schema, '') : [];
  if (unknown.length) {
    throw new QtError('QT_ERR_INPUT_INVALID', `Unknown field${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}`, { unknown });
  }
};

interface SchemaNode {
  type?: unknown;
  additionalProperties?: unknown;
  properties?: Record<string, SchemaNode>;
}

function unknownFields(value: unknown, schema: SchemaNode, path: string): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || !schema.properties) return [];
  const out: string[] = [];
  for (const [key, v] of Object.entries(value)) {
    const child = schema.properties[key];
    if (!child) {
      if (schema.additionalProperties === false) out.push(`${path}${key}`);
    } else {
      out.push(...unknownFields(v, child, `${path}${key}.`));
    }
  }
  return out;
}
