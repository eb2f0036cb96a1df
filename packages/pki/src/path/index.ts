export { validatePath } from './validate.ts';
export type { ChainElement, PathVerdict, Purpose, RevocationMode, RevocationVerdict, ValidatePathOptions } from './types.ts';
export type { CertificateInput } from './certificate.ts';
