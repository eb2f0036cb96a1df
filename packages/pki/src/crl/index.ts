export { CrlBuilder, buildCrl, type CrlEntryInput, type CrlOptions, type IssuingDistributionPointInput } from './build.ts';
export { parseCrl, type CrlEntry, type CrlScope, type ParsedCrl } from './parse.ts';
export { verifyCrl, type VerifyCrlOptions } from './verify.ts';
export { crlReasonCodes, crlReasonFromCode, type CrlReason } from './reasons.ts';
