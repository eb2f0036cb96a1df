export { parseIin, isValidIin, buildIin } from './iin.ts';
export type { IinInfo, ValidIin, TestIin, IinParts, IinInvalidReason, IdentifierOptions, Sex } from './iin.ts';
export { parseBin, isValidBin, buildBin, binEntityTypes, binDivisions } from './bin.ts';
export type { BinInfo, ValidBin, TestBin, BinParts, BinInvalidReason, BinEntityType, BinDivision } from './bin.ts';
