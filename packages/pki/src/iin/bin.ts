/**
 * Business identification number (БИН / БСН): YYMM of state registration, the legal-entity type, a
 * division attribute, a 5-digit number and the IIN check digit (DESIGN §4; the rules of forming BINs).
 */
import { QtError } from '@qoltanba/errors';
import { checkDigit, checkTwelveDigits } from './check-digit.ts';
import type { IdentifierOptions } from './iin.ts';

export type BinInvalidReason = 'length' | 'digits' | 'date' | 'type' | 'division' | 'checksum';

/** 5th digit. Sole proprietors use their IIN, so only entity types appear here. */
export const binEntityTypes = {
  '4': 'resident legal entity',
  '5': 'non-resident legal entity',
  '6': 'joint individual entrepreneurship',
} as const;

/** 6th digit. */
export const binDivisions = {
  '0': 'head organisation',
  '1': 'branch',
  '2': 'representative office',
  '3': 'peasant farm (joint entrepreneurship)',
} as const;

export type BinEntityType = (typeof binEntityTypes)[keyof typeof binEntityTypes];
export type BinDivision = (typeof binDivisions)[keyof typeof binDivisions];

export interface ValidBin {
  test: false;
  bin: string;
  /**
   * Year and month of state registration, YYYY-MM. The BIN holds only two year digits: 90–99 are read
   * as the 1990s (no entity in today's register was registered before independence), 00–89 as 2000s.
   */
  registered: string;
  entityType: BinEntityType;
  division: BinDivision;
  /** The 5-digit number (digits 7–11). */
  number: string;
  checkDigit: number;
}

export interface TestBin {
  test: true;
  bin: string;
}

export type BinInfo = ValidBin | TestBin;

function invalid(reason: BinInvalidReason, message: string, value: string): QtError {
  return new QtError('QT_ERR_BIN_INVALID', message, { reason, value });
}

function parseStrict(bin: string): ValidBin {
  const yy = Number(bin.slice(0, 2));
  const month = Number(bin.slice(2, 4));
  if (month < 1 || month > 12) throw invalid('date', `The 3rd–4th digits (${bin.slice(2, 4)}) are not a month`, bin);
  const entityType = binEntityTypes[bin[4] as keyof typeof binEntityTypes];
  if (!entityType) throw invalid('type', `The 5th digit (entity type) must be 4, 5 or 6, not ${bin[4]}`, bin);
  const division = binDivisions[bin[5] as keyof typeof binDivisions];
  if (!division) throw invalid('division', `The 6th digit (division) must be 0–3, not ${bin[5]}`, bin);
  const expected = checkDigit(bin.slice(0, 11));
  if (expected === undefined || expected !== Number(bin[11])) {
    throw invalid('checksum', 'The check digit (the last one) does not match; the number was probably mistyped', bin);
  }
  const year = yy >= 90 ? 1900 + yy : 2000 + yy;
  return {
    test: false,
    bin,
    registered: `${year}-${bin.slice(2, 4)}`,
    entityType,
    division,
    number: bin.slice(6, 11),
    checkDigit: expected,
  };
}

/** Parses a BIN; throws QT_ERR_BIN_INVALID with details.reason when it is not valid. */
export function parseBin(value: string, options: IdentifierOptions = {}): BinInfo {
  checkTwelveDigits(value, (reason, message) => invalid(reason, message, value));
  try {
    return parseStrict(value);
  } catch (e) {
    if (options.testMode) return { test: true, bin: value };
    throw e;
  }
}

export function isValidBin(value: string, options: IdentifierOptions = {}): boolean {
  try {
    parseBin(value, options);
    return true;
  } catch {
    return false;
  }
}

export interface BinParts {
  /** YYYY-MM, 1990–2089. */
  registered: string;
  entityType: keyof typeof binEntityTypes;
  division: keyof typeof binDivisions;
  /** 0–99999 (or its 5-digit text). */
  number: number | string;
}

/** Builds a BIN from its parts; throws reason "checksum" when no check digit exists for them. */
export function buildBin(parts: BinParts): string {
  const m = /^(\d{4})-(\d{2})$/.exec(parts.registered);
  const year = m ? Number(m[1]) : NaN;
  const month = m ? Number(m[2]) : NaN;
  if (!m || year < 1990 || year > 2089 || month < 1 || month > 12) {
    throw invalid('date', `The registration month "${parts.registered}" must be YYYY-MM within 1990–2089`, parts.registered);
  }
  if (!(parts.entityType in binEntityTypes)) throw invalid('type', `Unknown entity type ${parts.entityType}`, parts.entityType);
  if (!(parts.division in binDivisions)) throw invalid('division', `Unknown division ${parts.division}`, parts.division);
  const number = String(parts.number);
  if (!/^\d{1,5}$/.test(number)) throw invalid('digits', `The number must be 0–99999, not ${number}`, number);
  const first11 = `${m[1]!.slice(2)}${m[2]}${parts.entityType}${parts.division}${number.padStart(5, '0')}`;
  const check = checkDigit(first11);
  if (check === undefined) throw invalid('checksum', `No valid BIN exists with number ${number} for these parts`, first11);
  return `${first11}${check}`;
}
