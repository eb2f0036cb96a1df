export { issueCertificate, issueCaCertificate, issueOcspSigningCertificate, issueTimeStampingCertificate } from './issue.ts';
export type { IssueCertificateRequest, RootCaRequest, IssuingCaRequest, OcspSigningRequest, TimeStampingRequest, IssuerInput, IssuedCertificate } from './issue.ts';
export type { CommonIssueOptions, CpsInput } from './plan.ts';
export type { UrlsInput } from './urls.ts';
export { lintCertificate } from './lint.ts';
export type { LintOptions, LintViolation, LintExpectations } from './lint.ts';
export { generateSerial } from './serial.ts';
export { keyIdentifier } from './key-id.ts';
