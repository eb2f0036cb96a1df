/**
 * NCANode 3.x request and response shapes, as JSON Schemas Fastify validates and serialises with. Unknown
 * request fields are dropped, as NCANode (Jackson) ignores them; `at` is our one addition.
 */
const text = { type: 'string' } as const;
const nullableText = { type: ['string', 'null'] } as const;

const revocationCheck = {
  type: 'array',
  maxItems: 2,
  items: { type: 'string', enum: ['OCSP', 'CRL'] },
  description: 'Which evidence decides revocation (NCANode: OCSP, CRL). Empty: the server\'s policy (by default both, fail-closed).',
} as const;

const at = { type: 'string', format: 'date-time', description: 'Qoltanba extension: judge as of this time (default now)' } as const;

export const x509InfoBody = {
  type: 'object',
  required: ['certs'],
  properties: { certs: { type: 'array', items: text }, revocationCheck, at },
} as const;

export const x509VerifyBody = {
  type: 'object',
  required: ['certificate'],
  properties: { certificate: text, signature: text, data: text, revocationCheck, at },
} as const;

export const cmsVerifyBody = {
  type: 'object',
  required: ['cms'],
  properties: { cms: { type: 'string', minLength: 1 }, data: text, revocationCheck, at },
} as const;

export const cmsExtractBody = {
  type: 'object',
  required: ['cms'],
  properties: { cms: { type: 'string', minLength: 1 } },
} as const;

export const xmlVerifyBody = {
  type: 'object',
  required: ['xml'],
  properties: { xml: { type: 'string', minLength: 1 }, revocationCheck, at },
} as const;

export const pkcs12InfoBody = {
  type: 'object',
  required: ['keys'],
  properties: {
    keys: {
      type: 'array',
      minItems: 1,
      items: { type: 'object', required: ['key', 'password'], properties: { key: text, password: text, keyAlias: nullableText } },
    },
    revocationCheck,
    at,
  },
} as const;

const subject = {
  type: 'object',
  properties: {
    commonName: text,
    lastName: text,
    surName: text,
    email: text,
    organization: text,
    iin: text,
    bin: text,
    country: text,
    locality: text,
    state: text,
    dn: text,
  },
} as const;

const certificateInfo = {
  type: ['object', 'null'],
  properties: {
    valid: { type: 'boolean' },
    revocations: {
      type: 'array',
      items: {
        type: 'object',
        properties: { revoked: { type: 'boolean' }, by: { type: 'string', enum: ['OCSP', 'CRL'] }, revocationTime: nullableText, reason: nullableText },
      },
    },
    notBefore: text,
    notAfter: text,
    keyUsage: { type: 'string', enum: ['UNKNOWN', 'AUTH', 'SIGN'] },
    serialNumber: text,
    signAlg: text,
    keyUser: { type: 'array', items: text },
    publicKey: text,
    signature: text,
    subject,
    issuer: subject,
  },
} as const;

const status = { status: { type: 'integer' }, message: text } as const;
const ades = { status: text, subIndication: text, message: text } as const;

export const verificationResponse = {
  type: 'object',
  properties: {
    ...status,
    valid: { type: 'boolean' },
    signers: { type: 'array', items: certificateInfo },
    bestSignatureTime: text,
    adesStatus: text,
    adesSubIndication: text,
  },
} as const;

export const cmsVerificationResponse = {
  type: 'object',
  properties: {
    ...status,
    valid: { type: 'boolean' },
    signers: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          certificates: { type: 'array', items: certificateInfo },
          tsp: {
            type: 'object',
            properties: { serialNumber: text, genTime: text, policy: text, tsa: { type: ['string', 'null'] }, tspHashAlgorithm: { type: ['string', 'null'] }, hash: text },
          },
          bestSignatureTime: text,
          signatureTimestamp: text,
          adesLevel: text,
          ...ades,
        },
      },
    },
  },
} as const;

export const cmsExtractResponse = { type: 'object', properties: { ...status, data: text } } as const;

export const errorResponse = {
  type: 'object',
  properties: { ...status, code: text, details: { type: 'object', additionalProperties: true } },
} as const;
