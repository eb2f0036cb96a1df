export { parseCsr, MAX_CSR_BYTES } from './parse.ts';
export type { CsrInfo } from './parse.ts';
export { verifyCsr } from './verify.ts';
export { createCsr } from './create.ts';
export type { CreatedCsr } from './create.ts';
export { keyPolicies, checkPublicKeyPolicy } from './key-policy.ts';
export type { KeyPolicy } from './key-policy.ts';
