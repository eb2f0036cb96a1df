/** JSON Schemas of the CA API: Fastify validates requests and serialises replies with them, and the OpenAPI document is built from them. */
import { crlReasonCodes } from '@qoltanba/pki';

const dateTime = { type: 'string', format: 'date-time' } as const;
const nullableDateTime = { type: ['string', 'null'], format: 'date-time' } as const;

export const errorSchema = {
  description: 'An error with a stable code (see the QT_ERR_… catalogue); details depend on the code.',
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string', pattern: '^QT_ERR_[A-Z0-9_]+$' },
        message: { type: 'string' },
        details: { type: 'object', additionalProperties: true },
      },
    },
  },
} as const;

export const certificateSchema = {
  type: 'object',
  required: ['ca', 'serial', 'kind', 'profile', 'subject', 'iin', 'bin', 'status', 'revocationReason', 'revokedAt', 'invalidityDate', 'notBefore', 'notAfter', 'storage', 'applicationId', 'issuedAt', 'pem'],
  properties: {
    ca: { type: 'string', description: 'Issuing CA name (as in /crl/{ca}.crl)' },
    serial: { type: 'string', description: 'Serial number as the certificate holds it: upper-case hex of its bytes, leading zeros kept (e.g. 0CF283BC…), as openssl prints it' },
    kind: { type: 'string', enum: ['AUTH', 'SIGN'] },
    profile: { type: 'string' },
    subject: { type: 'string', description: 'Subject DN as issued' },
    iin: { type: ['string', 'null'] },
    bin: { type: ['string', 'null'] },
    status: { type: 'string', enum: ['good', 'revoked', 'on_hold'] },
    revocationReason: { type: ['string', 'null'], description: "RFC 5280 reason name; 'certificateHold' while on hold" },
    revokedAt: nullableDateTime,
    invalidityDate: nullableDateTime,
    notBefore: dateTime,
    notAfter: dateTime,
    storage: { type: 'string', enum: ['file', 'token'] },
    applicationId: { type: ['string', 'null'] },
    issuedAt: dateTime,
    pem: { type: 'string', description: 'The certificate, PEM' },
  },
} as const;

export const issuedSchema = {
  ...certificateSchema,
  required: [...certificateSchema.required, 'replayed'],
  properties: { ...certificateSchema.properties, replayed: { type: 'boolean', description: 'True when this is the stored answer to an earlier request with the same Idempotency-Key' } },
} as const;

export const statusChangeSchema = {
  ...certificateSchema,
  required: [...certificateSchema.required, 'changed', 'alsoRevoked'],
  properties: {
    ...certificateSchema.properties,
    changed: { type: 'boolean', description: 'False when the certificate already had this status (nothing was written)' },
    alsoRevoked: { type: 'array', items: { type: 'string' }, description: 'keyCompromise: other certificates of the same key revoked with it, as "<ca>/<serial>"' },
  },
} as const;

export const issueBodySchema = {
  type: 'object',
  required: ['csr', 'profile', 'subject', 'storage'],
  additionalProperties: false,
  properties: {
    ca: { type: 'string', minLength: 1, maxLength: 63, description: 'Issuing CA name; default: the active issuing CA for the key algorithm' },
    csr: { type: 'string', minLength: 1, description: 'PKCS#10 request, PEM or base64 DER. Only its public key is used; its subject is ignored.' },
    profile: { type: 'string', minLength: 1, maxLength: 64, description: 'individual-auth, individual-sign, legal-<role>-auth|sign' },
    subject: {
      type: 'object',
      required: ['surname', 'name', 'iin'],
      additionalProperties: false,
      description: 'The person as the RA established them',
      properties: {
        surname: { type: 'string', maxLength: 200 },
        name: { type: 'string', maxLength: 200 },
        patronymic: { type: 'string', maxLength: 200 },
        iin: { type: 'string', maxLength: 32 },
        organization: { type: 'string', maxLength: 1000 },
        bin: { type: 'string', maxLength: 32 },
      },
    },
    email: { type: 'string', maxLength: 254 },
    storage: { type: 'string', enum: ['file', 'token'], description: 'Where the key lives: file (1 year) or token (3 years)' },
    identification: { type: 'string', enum: ['in-person', 'remote'] },
    applicationId: { type: 'string', maxLength: 64 },
  },
} as const;

export const idempotencyHeaderSchema = {
  type: 'object',
  properties: {
    'idempotency-key': { type: 'string', description: 'Required. 1–255 visible ASCII characters; the same key and request return the same certificate' },
  },
} as const;

export const certificateParamsSchema = {
  type: 'object',
  required: ['ca', 'serial'],
  properties: {
    ca: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,62}$' },
    serial: { type: 'string', minLength: 1, maxLength: 128, description: 'Hex; colons, case and leading zeros are ignored' },
  },
} as const;

const reasonNames = Object.keys(crlReasonCodes).filter((r) => r !== 'certificateHold' && r !== 'removeFromCRL');

export const revokeBodySchema = {
  type: 'object',
  required: ['reason'],
  additionalProperties: false,
  properties: {
    reason: { type: 'string', maxLength: 32, description: `RFC 5280 reason: ${reasonNames.join(', ')} (certificateHold: use /hold)` },
    invalidityDate: { ...dateTime, description: 'Since when the key is known or suspected to be compromised' },
  },
} as const;

export const holdBodySchema = {
  type: 'object',
  additionalProperties: false,
  properties: { invalidityDate: dateTime },
} as const;

export const emptyBodySchema = { type: 'object', additionalProperties: false, properties: {} } as const;

export const subjectParamsSchema = {
  type: 'object',
  required: ['iin'],
  properties: { iin: { type: 'string', maxLength: 32 } },
} as const;

export const certificateListSchema = {
  type: 'object',
  required: ['certificates'],
  properties: { certificates: { type: 'array', items: certificateSchema } },
} as const;

/** The error replies every authenticated route may give. */
export function errorResponses(...statuses: number[]): Record<number, typeof errorSchema> {
  return Object.fromEntries([400, 401, 403, 500, 503, ...statuses].map((s) => [s, errorSchema]));
}
