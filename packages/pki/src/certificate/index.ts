export { inspectCertificate } from './inspect.ts';
export { formatSerial, parseSerial } from './serial.ts';
export type { CertificateInfo, NameInfo } from './inspect.ts';
export type { ExtensionInfo, PolicyInfo, BasicConstraintsInfo, CertificateUrls } from './extensions.ts';
export type { CertificateKindInfo, RoleInfo, Holder } from './kind.ts';
export type { DerInput } from './der-input.ts';
export { MAX_CERTIFICATE_BYTES } from './parse.ts';
