/**
 * @qoltanba/pki — pure PKI for Kazakhstan's national profile: names, IIN/BIN, profiles, certificates,
 * CSRs, CRLs, OCSP, CMS/CAdES, XMLDSig, PKCS#12, path validation and NCA's GOST algorithms. No I/O; crypto comes in as WebCrypto.
 */
import 'reflect-metadata';
export * from '@qoltanba/errors';
export * from './oids.ts';
export * from './encoding.ts';
export * from './crypto/index.ts';
export * from './gost/index.ts';
export * from './iin/index.ts';
export * from './names/index.ts';
export * from './profiles/index.ts';
export * from './certificate/index.ts';
export * from './csr/index.ts';
export * from './issue/index.ts';
export * from './crl/index.ts';
export * from './ocsp/index.ts';
export * from './path/index.ts';
export * from './cms/index.ts';
export * from './tsp/index.ts';
export * from './cades/index.ts';
export * from './xmldsig/index.ts';
export * from './pkcs12/index.ts';
export * from './verifier/index.ts';
export * from './tsp/tsa-reply.ts';
export * from './tsp/issue.ts';
