/** JSON Schemas of /api/v1/verify: Fastify validates and serialises with them, and the OpenAPI document is built from them. */
import { errorSchema } from '../api/schemas.ts';

const text = { type: 'string' } as const;
const dateTime = { type: 'string', format: 'date-time' } as const;
const base64List = (description: string, maxItems: number) => ({ type: 'array', maxItems, items: { type: 'string' }, description }) as const;

const qtError = errorSchema.properties.error;

export const verifyBodySchema = {
  type: 'object',
  description: 'Exactly one of cms, xml, certificate.',
  properties: {
    cms: { type: 'string', description: 'CMS (CAdES) signature: base64 DER or PEM' },
    data: { type: 'string', description: 'The signed content of a detached CMS, base64' },
    xml: { type: 'string', description: 'Signed XML (XMLDSig, enveloped), as text' },
    certificate: { type: 'string', description: 'A certificate: base64 DER or PEM' },
    at: { ...dateTime, description: 'Judge everything as of this time (default: now)' },
    revocation: {
      type: 'string',
      enum: ['require', 'prefer', 'off'],
      description: 'require (the server default): no revocation answer means not valid. prefer: accept silence. off: never look.',
    },
    revocationKinds: { type: 'array', maxItems: 2, items: { type: 'string', enum: ['ocsp', 'crl'] }, description: 'Which evidence may decide (default: the server\'s, OCSP then CRL)' },
    purpose: { type: 'string', enum: ['any', 'clientAuth', 'emailProtection'], description: "What the signer's certificate must be good for (default any)" },
    crls: base64List('CRLs the client brings (base64 DER); used before anything is fetched', 16),
    ocspResponses: base64List('OCSP responses the client brings (base64 DER)', 16),
    intermediates: base64List('CA certificates that may complete a chain (base64 DER); never trusted by themselves', 32),
  },
} as const;

const revocationSchema = {
  type: 'object',
  required: ['status'],
  properties: {
    status: { type: 'string', enum: ['good', 'revoked', 'unknown', 'unchecked'] },
    source: { type: 'string', enum: ['ocsp', 'crl'] },
    reason: { ...text, description: 'RFC 5280 reason name (certificateHold: suspended)' },
    revokedAt: dateTime,
    invalidityDate: { ...dateTime, description: 'Since when the key is known or suspected to be compromised (CRL entry / OCSP invalidityDate)' },
    detail: { ...text, description: 'Why the status is unknown: which evidence was tried and why it gave no answer' },
  },
} as const;

const chainElementSchema = {
  type: 'object',
  required: ['subject', 'issuer', 'serial', 'notBefore', 'notAfter', 'trustAnchor', 'revocation'],
  properties: {
    subject: text,
    issuer: text,
    serial: { ...text, description: 'Upper-case hex' },
    notBefore: dateTime,
    notAfter: dateTime,
    trustAnchor: { type: 'boolean' },
    revocation: revocationSchema,
  },
} as const;

const certificateSchema = {
  type: 'object',
  required: ['subject', 'issuer', 'serial', 'holder', 'kind', 'roles', 'keyAlgorithm', 'signatureAlgorithm', 'notBefore', 'notAfter', 'emails', 'der'],
  properties: {
    subject: text,
    issuer: text,
    serial: { ...text, description: 'Lower-case hex without leading zeros' },
    name: { ...text, description: 'SURNAME NAME PATRONYMIC' },
    iin: text,
    bin: text,
    organization: text,
    holder: { type: 'string', enum: ['individual', 'legal-entity', 'authority'] },
    kind: { type: 'string', enum: ['AUTH', 'SIGN', 'CA', 'OCSP', 'TSA', 'OTHER'] },
    roles: { type: 'array', items: text },
    profile: text,
    identification: text,
    keyAlgorithm: text,
    signatureAlgorithm: text,
    notBefore: dateTime,
    notAfter: dateTime,
    emails: { type: 'array', items: text },
    der: { ...text, description: 'The certificate, base64 DER' },
  },
} as const;

const timeStampSchema = {
  type: 'object',
  required: ['kind', 'valid', 'chain'],
  properties: {
    kind: { type: 'string', enum: ['signature', 'archive'], description: 'signature time-stamp (CAdES-T) or archive-time-stamp-v3 (CAdES-LTA)' },
    valid: { type: 'boolean', description: "The token, its imprint over the right bytes, and the TSA's chain (timeStamping, as of genTime)" },
    error: qtError,
    genTime: { ...dateTime, description: 'The time the TSA vouches for' },
    policy: text,
    serialNumber: { ...text, description: 'Lower-case hex' },
    hashAlgorithm: text,
    imprint: { ...text, description: 'The message imprint, lower-case hex' },
    accuracyMs: { type: 'number' },
    tsa: { type: 'object', properties: { subject: text, serial: text, notBefore: dateTime, notAfter: dateTime } },
    chain: { type: 'array', items: chainElementSchema, description: "The TSA's chain as of genTime, leaf first" },
  },
} as const;

export const verdictSchema = {
  type: 'object',
  required: ['valid', 'kind', 'at', 'signers'],
  properties: {
    valid: { type: 'boolean', description: 'Every signature verifies and every signer\'s chain is valid as of `at`, revocation included' },
    kind: { type: 'string', enum: ['certificate', 'cms', 'xml', 'signature'] },
    at: dateTime,
    error: { ...qtError, description: 'The first reason the document is not valid' },
    signers: {
      type: 'array',
      items: {
        type: 'object',
        required: ['valid', 'chain'],
        properties: {
          valid: { type: 'boolean' },
          error: qtError,
          certificate: certificateSchema,
          signatureAlgorithm: text,
          signingTime: { ...dateTime, description: 'The time the signer claims (CMS signingTime), not a proven one' },
          level: { type: 'string', enum: ['B', 'T', 'LT', 'LTA'], description: 'The CAdES level the signer reaches (CMS)' },
          judgedAt: {
            type: 'object',
            required: ['time', 'basis', 'reason'],
            description: "The time the signer's chain was judged at, and why",
            properties: {
              time: dateTime,
              basis: { type: 'string', enum: ['signature-time-stamp', 'requested-time'] },
              reason: text,
            },
          },
          timeStamps: { type: 'array', items: timeStampSchema, description: 'Every time-stamp of this signer (CMS), checked' },
          chain: { type: 'array', items: chainElementSchema, description: 'Leaf first, trust anchor last' },
        },
      },
    },
    cms: { type: 'object', properties: { attached: { type: 'boolean' }, contentBytes: { type: 'integer' } } },
    xml: { type: 'object', properties: { signatures: { type: 'integer' }, references: { type: 'integer' } } },
  },
} as const;
