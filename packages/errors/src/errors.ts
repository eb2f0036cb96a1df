/**
 * One error type for the whole project, with stable codes callers can switch on (as panva/jose does).
 * Each surface (HTTP, agent, CLI) maps codes to its own replies in exactly one place; this file only
 * says what went wrong, in plain words.
 */
export const errorCatalog = {
  // Input encodings
  QT_ERR_INPUT_INVALID: 'The input is invalid',
  QT_ERR_DER_MALFORMED: 'The data is not well-formed DER',
  QT_ERR_PEM_MALFORMED: 'The PEM text is malformed',
  QT_ERR_BASE64_MALFORMED: 'The text is not valid base64',
  QT_ERR_TOO_LARGE: 'The input is larger than allowed',
  QT_ERR_NOT_FOUND: 'Nothing was found at this address',
  QT_ERR_UNSUPPORTED_MEDIA_TYPE: 'The request body has a content type this endpoint does not accept',
  QT_ERR_RATE_LIMITED: 'Too many requests; please wait and try again',
  QT_ERR_INTERNAL: 'Something went wrong on our side; the error has been logged',
  // Identity numbers and names
  QT_ERR_IIN_INVALID: 'The IIN is not valid',
  QT_ERR_BIN_INVALID: 'The BIN is not valid',
  QT_ERR_NAME_INVALID: 'The distinguished name does not follow the national profile',
  // Keys and algorithms
  QT_ERR_ALGORITHM_UNSUPPORTED: 'The algorithm is not supported',
  QT_ERR_KEY_WEAK: 'The key is too weak',
  QT_ERR_KEY_MALFORMED: 'The public key is malformed',
  QT_ERR_KEY_EXPONENT: 'The RSA public exponent must be 65537',
  QT_ERR_KEY_MISMATCH: 'The private key does not match the certificate',
  QT_ERR_GOST_POINT_INVALID: 'The GOST public key is not a point of its elliptic curve',
  // CSR and issuance
  QT_ERR_CSR_MALFORMED: 'The certificate request (PKCS#10) is malformed',
  QT_ERR_CSR_SIGNATURE_INVALID: 'The certificate request signature does not verify',
  QT_ERR_CSR_REQUESTS_CA: 'The certificate request asks for a CA certificate, which is never issued to a subscriber',
  QT_ERR_PROFILE_UNKNOWN: 'The certificate profile is unknown',
  QT_ERR_PROFILE_RESTRICTED: 'This certificate profile is issued only by the CA administrators (qoltanba operator issue)',
  QT_ERR_PROFILE_VIOLATION: 'The certificate would violate its profile, so it was not signed',
  QT_ERR_SUBJECT_INVALID: 'The subject data is incomplete or invalid',
  QT_ERR_SIGNING_REFUSED: 'The signer refused to sign these bytes',
  QT_ERR_SIGNER_UNAUTHORIZED: 'The request to the signer is not authorised',
  QT_ERR_SIGNER_UNAVAILABLE: 'The signer cannot be reached; please try again later',
  // Certificates, chains, revocation
  QT_ERR_CERT_MALFORMED: 'The certificate is malformed',
  QT_ERR_SIGNATURE_INVALID: 'The signature does not verify',
  QT_ERR_CHAIN_INCOMPLETE: 'No chain to a trusted CA could be built',
  QT_ERR_CHAIN_INVALID: 'The certificate chain is not valid',
  QT_ERR_CERT_EXPIRED: 'The certificate has expired',
  QT_ERR_CERT_NOT_YET_VALID: 'The certificate is not yet valid',
  QT_ERR_CERT_REVOKED: 'The certificate is revoked',
  QT_ERR_CERT_ON_HOLD: 'The certificate is suspended (on hold)',
  QT_ERR_REVOCATION_UNKNOWN: 'The revocation status could not be determined',
  QT_ERR_KEY_USAGE: 'The certificate is not allowed for this use',
  QT_ERR_PATH_BUDGET_EXCEEDED: 'Verifying this would take more work than one request is allowed (too many certificates, candidate chains or signatures)',
  // CRL and OCSP
  QT_ERR_CRL_MALFORMED: 'The CRL is malformed',
  QT_ERR_CRL_STALE: 'The CRL is not current for the requested time',
  QT_ERR_CRL_ISSUER_MISMATCH: 'The CRL was not issued by this CA',
  QT_ERR_OCSP_MALFORMED: 'The OCSP message is malformed',
  QT_ERR_OCSP_UNSUCCESSFUL: 'The OCSP responder did not answer successfully',
  QT_ERR_OCSP_RESPONDER_UNAUTHORIZED: 'The OCSP response is not signed by an authorised responder',
  QT_ERR_OCSP_NONCE_MISMATCH: 'The OCSP response nonce does not match the request',
  QT_ERR_OCSP_STALE: 'The OCSP response is not current for the requested time',
  // Status service (OCSP responder, CRL and CA-certificate publication)
  QT_ERR_CA_NOT_FOUND: 'No certificate authority has this name',
  QT_ERR_CRL_NOT_FOUND: 'No CRL of this kind has been published for this CA yet',
  QT_ERR_CA_KEY_OFFLINE: 'The CA key is kept offline; this service cannot sign for the CA',
  QT_ERR_OCSP_SIGNER_MISSING: 'The CA has no active OCSP signing certificate',
  // Registration, issuance and revocation (RA service and the CA API)
  QT_ERR_UNAUTHENTICATED: 'The request carries no valid API token (Authorization: Bearer <token>)',
  QT_ERR_FORBIDDEN: 'The API token does not have the scope this request needs',
  QT_ERR_API_TOKEN_EXISTS: 'An API token with this name already exists',
  QT_ERR_API_TOKEN_NOT_FOUND: 'No live API token has this name',
  QT_ERR_IDEMPOTENCY_KEY_REQUIRED: 'This request needs an Idempotency-Key header (1 to 255 visible ASCII characters)',
  QT_ERR_IDEMPOTENCY_CONFLICT: 'This Idempotency-Key was already used for a different request',
  QT_ERR_CA_NOT_ISSUING: 'This CA does not issue new certificates (retired, revoked or not an issuing CA)',
  QT_ERR_CA_SIGNER_UNAVAILABLE: "The CA's signing key cannot be used right now; nothing was issued, please try again later",
  QT_ERR_CA_PASSPHRASE_WRONG: 'The CA key passphrase is wrong',
  QT_ERR_KEY_REUSED: 'This public key is already certified for another person; generate a new key pair',
  QT_ERR_KEY_COMPROMISED: 'This public key was revoked as compromised and is never certified again; generate a new key pair',
  QT_ERR_APPLICATION_NOT_FOUND: 'No application has this id',
  QT_ERR_APPLICATION_NOT_APPROVED: 'The application is not approved for issuance to this person',
  QT_ERR_CERT_NOT_FOUND: 'This CA issued no certificate with this serial number',
  QT_ERR_CERT_ALREADY_REVOKED: 'The certificate is already revoked; only a later key compromise can still be recorded',
  QT_ERR_CERT_NOT_ON_HOLD: 'The certificate is not on hold, so there is no hold to release',
  QT_ERR_CERT_STATUS_TRANSITION: 'This change of the certificate status is not allowed',
  QT_ERR_REVOCATION_REASON_INVALID: 'This revocation reason cannot be used here',
  // Signed documents
  QT_ERR_CMS_MALFORMED: 'The CMS signature is malformed',
  QT_ERR_CMS_NO_CONTENT: 'The CMS signature is detached; the signed content must be supplied',
  QT_ERR_CMS_DIGEST_MISMATCH: 'The signed content was changed after signing',
  QT_ERR_CMS_SIGNER_NOT_FOUND: 'The signer certificate is not in the signature',
  QT_ERR_CMS_SIGNER_CERT_MISMATCH: "The signing-certificate attribute names another certificate than the signer's",
  QT_ERR_TSP_MALFORMED: 'The time-stamp token is malformed',
  QT_ERR_TSP_REFUSED: 'The time-stamp authority refused the request',
  QT_ERR_TSP_IMPRINT_MISMATCH: 'The time-stamp covers other data than it should',
  QT_ERR_TSP_NONCE_MISMATCH: 'The time-stamp does not carry the nonce of the request',
  QT_ERR_TSP_INVALID: 'The time-stamp is not valid',
  // The time-stamping authority (RFC 3161): each refusal is one PKIFailureInfo (tsp/tsa-reply.ts maps them)
  QT_ERR_TSP_REQUEST_MALFORMED: 'The time-stamp request is not a well-formed TimeStampReq',
  QT_ERR_TSP_REQUEST_VERSION: 'The time-stamp request has a version this authority does not know (only 1 exists)',
  QT_ERR_TSP_HASH_UNSUPPORTED: 'The time-stamp request hashes with an algorithm this authority does not accept',
  QT_ERR_TSP_POLICY_UNACCEPTED: 'The time-stamp request asks for a policy this authority does not stamp under',
  QT_ERR_TSP_EXTENSION_UNACCEPTED: 'The time-stamp request carries an extension this authority does not support',
  QT_ERR_TSA_CLOCK_UNTRUSTED: "The time-stamping authority's clock cannot be trusted right now; nothing was stamped, try again later",
  QT_ERR_TSA_BUSY: 'The time-stamping authority has too many requests in progress; try again shortly',
  QT_ERR_TSA_UNAVAILABLE: 'The time-stamping authority cannot be reached or cannot sign right now; nothing was stamped, try again later',
  QT_ERR_XML_MALFORMED: 'The XML document is malformed',
  QT_ERR_XML_SIGNATURE_INVALID: 'The XML signature does not verify',
  QT_ERR_XML_NO_SIGNATURE: 'The XML document carries no signature',
  QT_ERR_XML_SIGNER_NOT_FOUND: 'The XML signature carries no signer certificate',
  QT_ERR_XML_XPATH_NOT_FOUND: 'The XPath expression selects no element of the document',
  // Key files
  QT_ERR_PKCS12_MALFORMED: 'The key file (PKCS#12) is malformed',
  QT_ERR_PKCS12_PASSWORD: 'The key file password is wrong',
  QT_ERR_PKCS12_NO_KEY: 'The key file holds no private key',
  QT_ERR_PKCS12_NO_CERTIFICATE: 'The key file holds no certificate for its private key',
  QT_ERR_PASSWORD_RULE: 'The password must contain Latin lower-case and upper-case letters and digits, at least 6 characters',
  // Key custody (keystore: soft keys and PKCS#11 tokens addressed by URI)
  QT_ERR_KEY_URI_MALFORMED: 'The key URI is malformed',
  QT_ERR_KEY_URI_SCHEME: 'The key URI scheme is not supported (use soft: or pkcs11:)',
  QT_ERR_KEYSTORE_CONFIG: 'The key store is not configured correctly',
  QT_ERR_KEYSTORE_CLOSED: 'The key store is closed',
  QT_ERR_KEY_NOT_FOUND: 'No key exists at this URI',
  QT_ERR_KEY_EXISTS: 'A key already exists at this URI',
  QT_ERR_KEY_AMBIGUOUS: 'Several keys match this URI; name one by object= and id=',
  QT_ERR_KEY_FILE_MALFORMED: 'The key file is not an encrypted PKCS#8 private key',
  QT_ERR_KEY_PASSPHRASE: 'The key passphrase is wrong (or the key file is damaged)',
  QT_ERR_PASSPHRASE_WEAK: 'The key passphrase is too short',
  QT_ERR_SECRET_MISSING: 'The passphrase or PIN was not supplied',
  QT_ERR_PKCS11_MODULE: 'The PKCS#11 module cannot be loaded',
  QT_ERR_PKCS11: 'The token refused the operation',
  QT_ERR_TOKEN_NOT_FOUND: 'No matching token is present',
  QT_ERR_TOKEN_AMBIGUOUS: 'Several tokens match; name one by token= or serial=',
  QT_ERR_PIN_INCORRECT: 'The PIN is wrong',
  QT_ERR_PIN_LOCKED: 'The PIN is locked',
  // Notifier transports (SMS, e-mail). details.permanent says whether retrying can ever help
  QT_ERR_PHONE_INVALID: 'The phone number is not a valid Kazakhstan mobile number',
  QT_ERR_EMAIL_INVALID: 'The e-mail address is not valid',
  QT_ERR_SMS_TOO_LONG: 'The SMS text is longer than the allowed number of parts',
  QT_ERR_SMS_REJECTED: 'The SMS centre rejected the message (permanent; do not retry)',
  QT_ERR_SMS_UNAVAILABLE: 'The SMS centre is unavailable or busy (transient; retry later)',
  QT_ERR_SMS_BIND_FAILED: 'The SMS centre refused our credentials (SMPP system_id/password/system_type, or the gateway token)',
  QT_ERR_EMAIL_REJECTED: 'The mail server rejected the message (permanent; do not retry)',
  QT_ERR_EMAIL_UNAVAILABLE: 'The mail server is unavailable or deferred the message (transient; retry later)',
  QT_ERR_NOTIFY_CONFIG: 'The notifier transport is not configured correctly',
  QT_ERR_REGISTRY_ROW_INVALID: 'A row of the registry file is malformed (see the line and field named)',
  QT_ERR_REGISTRY_IIN_UNKNOWN: 'The registry file names an IIN of a person we do not know',
  QT_ERR_REGISTRY_IMPORT_REJECTED: 'The registry file has invalid rows; nothing was imported',
  QT_ERR_NOTIFY_MESSAGE_NOT_FOUND: 'No reminder message has this id',
  QT_ERR_NOTIFY_NOT_RETRYABLE: 'Only a failed or undelivered reminder can be retried',
  // Local signing agent (NCALayer protocol); the agent maps these to NCALayer reply shapes in one place
  QT_ERR_AGENT_REQUEST_MALFORMED: 'The request is not a JSON object with "module" and "method"',
  QT_ERR_AGENT_MODULE_UNKNOWN: 'The agent has no such module',
  QT_ERR_AGENT_METHOD_UNKNOWN: 'The module has no such method',
  QT_ERR_AGENT_ARGUMENT_TYPE: 'An argument has the wrong type',
  QT_ERR_AGENT_PARAMS_INVALID: 'The request parameters are invalid',
  QT_ERR_AGENT_ORIGIN_REFUSED: 'This web site is not allowed to use the signing agent',
  QT_ERR_AGENT_BUSY: 'Too many requests are waiting on this connection',
  QT_ERR_AGENT_CANCELLED: 'The user cancelled the operation',
  QT_ERR_AGENT_CONSENT_EXPIRED: 'The user did not answer in time',
  QT_ERR_AGENT_CONSENT_UNAVAILABLE: 'The confirmation window could not be opened',
  QT_ERR_AGENT_PASSWORD_ATTEMPTS: 'The password or PIN was wrong too many times',
  QT_ERR_AGENT_STORAGE_UNAVAILABLE: 'The requested key storage is not available',
  QT_ERR_AGENT_PENDING_UNKNOWN: 'No pending key request has this id',
  QT_ERR_AGENT_CERT_NOT_PENDING: 'The certificate does not belong to a pending key of this request',
  QT_ERR_AGENT_INSTALL: "The agent could not be put into the browsers' trust or the autostart",
  // Store (database bootstrap, migrations) and the audit log
  QT_ERR_STORE_UNAVAILABLE: 'The database cannot be reached',
  QT_ERR_STORE_DATA_DIR_LOCKED: 'The embedded database directory is in use by another process',
  QT_ERR_STORE_BUSY: 'No database connection became free in time',
  QT_ERR_STORE_UNSUPPORTED: 'The embedded database cannot do this; use PostgreSQL (DATABASE_URL)',
  QT_ERR_STORE_MIGRATION_INVALID: 'The migration files are not a valid ordered set',
  QT_ERR_STORE_MIGRATION_CHANGED: 'A migration that was already applied has been changed',
  QT_ERR_STORE_MIGRATION_UNKNOWN: 'The database has migrations this program does not know (it is newer than this program)',
  QT_ERR_STORE_MIGRATION_FAILED: 'A migration failed and was rolled back',
  // The admin socket through which CLI commands run inside the server that holds the embedded database
  QT_ERR_ADMIN_SOCKET_UNTRUSTED: "The running server's admin socket is not owner-only or belongs to another user; run the command as the user who runs the server",
  QT_ERR_ADMIN_UNAVAILABLE: 'The running server did not answer on its admin socket',
  QT_ERR_AUDIT_SECRET_REFUSED: 'Secrets must never be written to the audit log',
  QT_ERR_AUDIT_ENTRY_INVALID: 'The audit entry is not valid',
  QT_ERR_STATUS_AUDIT_MISMATCH: "The certificate's status in the database disagrees with its audit log; no OCSP response vouches for it until that is resolved",
  QT_ERR_AUDIT_KEY_MISSING: 'There is no audit checkpoint key (made by the CA ceremony): checkpoints cannot be signed or checked',
  QT_ERR_AUDIT_CHECKPOINTS_UNREADABLE: 'The audit checkpoints cannot be read (file or URL)',
  // Citizen portal (sessions, signed challenges, one-time codes, the re-issuance wizard)
  QT_ERR_SESSION_REQUIRED: 'Sign in to the personal account first',
  QT_ERR_SESSION_EXPIRED: 'The session has ended (inactivity or its maximum length); sign in again',
  QT_ERR_CSRF: 'The form is outdated or was sent from another site; reload the page and try again',
  QT_ERR_CHALLENGE_INVALID: 'The request to sign is unknown, expired or already used; start again',
  QT_ERR_SIGNER_NOT_ALLOWED: 'The signature was made with a key of another person',
  QT_ERR_OTP_INVALID: 'The one-time code is wrong',
  QT_ERR_OTP_EXPIRED: 'The one-time code has expired; ask for a new one',
  QT_ERR_OTP_ATTEMPTS: 'The one-time code was entered wrongly too many times',
  QT_ERR_OTP_SEND_LIMIT: 'No more one-time codes can be sent for now',
  QT_ERR_PHONE_NOT_REGISTERED: 'No phone number is registered for this IIN in the mobile citizens database',
  QT_ERR_APPLICATION_STATE: 'The application is not at this step (it moved on, or it is closed)',
  QT_ERR_APPLICATION_LIMIT: 'Too many applications in a short time; try again later',
  QT_ERR_REISSUE_NOT_ALLOWED: 'Re-issuance needs a valid, unrevoked current certificate',
  // Remote issuance (population registry, document and face checks) and the RA operators' console
  QT_ERR_PERSON_NOT_FOUND: 'No person with this IIN is in the population registry',
  QT_ERR_PERSON_NOT_ELIGIBLE: 'The population registry does not allow issuing keys to this person remotely',
  QT_ERR_DOCUMENT_MISMATCH: 'The identity document number or issue date does not match the population registry',
  QT_ERR_DOCUMENT_EXPIRED: 'The identity document in the population registry has expired',
  QT_ERR_DOCUMENT_ATTEMPTS: 'The identity document was entered wrongly too many times',
  QT_ERR_IMAGE_INVALID: 'The image is malformed or of a kind that is not accepted',
  QT_ERR_FACE_CAPTURE_INVALID: 'The captured camera frames cannot be used for a face check',
  QT_ERR_FACE_ATTEMPTS: 'The face check failed too many times for this application',
  QT_ERR_FACE_SERVICE_UNAVAILABLE: 'The face check service cannot be reached; nothing was counted, try again later',
  QT_ERR_OPERATOR_ROLE_REQUIRED: 'The certificate does not carry the RA operator role',
  // The demonstration installation (qoltanba up --demo)
  QT_ERR_DEMO_DATA_PRESENT: 'This data directory holds demo data: start it with --demo, or use another data directory for real use',
  QT_ERR_DEMO_NEEDS_FRESH_HOME: 'The demo is seeded only into a fresh data directory',
} as const;

export type QtErrorCode = keyof typeof errorCatalog;

export class QtError extends Error {
  readonly code: QtErrorCode;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: QtErrorCode, message?: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(message ?? errorCatalog[code], options);
    this.name = 'QtError';
    this.code = code;
    this.details = details;
  }

  toJSON(): { code: QtErrorCode; message: string; details?: Readonly<Record<string, unknown>> } {
    return this.details ? { code: this.code, message: this.message, details: this.details } : { code: this.code, message: this.message };
  }
}

export function isQtError(e: unknown, code?: QtErrorCode): e is QtError {
  return e instanceof QtError && (code === undefined || e.code === code);
}

/** Runs `fn`; anything it throws that is not already a QtError becomes one with `code`. */
export function wrapErrors<T>(code: QtErrorCode, fn: () => T, message?: string): T {
  try {
    const r = fn();
    if (r instanceof Promise) {
      return r.catch((e: unknown) => {
        throw asQtError(e, code, message);
      }) as T;
    }
    return r;
  } catch (e) {
    throw asQtError(e, code, message);
  }
}

export function asQtError(e: unknown, code: QtErrorCode, message?: string): QtError {
  if (e instanceof QtError) return e;
  const why = e instanceof Error ? e.message : String(e);
  return new QtError(code, message ? `${message}: ${why}` : `${errorCatalog[code]}: ${why}`, undefined, { cause: e });
}
