/**
 * Individual identification number (ИИН / ЖСН): YYMMDD, a digit for century and sex (1–6), a 4-digit
 * registration number and a check digit (DESIGN §4).
 */
import { QtError } from '@qoltanba/errors';
import { checkDigit, checkTwelveDigits } from './check-digit.ts';

export type Sex = 'male' | 'female';

export type IinInvalidReason = 'length' | 'digits' | 'century' | 'date' | 'checksum';

/** A number that passed every check. */
export interface ValidIin {
  test: false;
  iin: string;
  /** ISO date, YYYY-MM-DD. */
  birthDate: string;
  sex: Sex;
  /** The 4-digit registration number (digits 8–11). */
  number: string;
  checkDigit: number;
}

/** A 12-digit number accepted only because test mode was asked for (NCA's test persons fail the check). */
export interface TestIin {
  test: true;
  iin: string;
}

export type IinInfo = ValidIin | TestIin;

export interface IdentifierOptions {
  /**
   * Accept 12-digit numbers that fail the date, century or check-digit rules, as NCA's test
   * certificates carry (IIN123456789011, BIN123456789021). Never on in production.
   */
  testMode?: boolean;
}

/** Century digit → (first year of the century, sex); 1–2 are the 1800s, 3–4 the 1900s, 5–6 the 2000s. */
const CENTURY_DIGITS: Readonly<Record<string, { century: number; sex: Sex }>> = {
  '1': { century: 1800, sex: 'male' },
  '2': { century: 1800, sex: 'female' },
  '3': { century: 1900, sex: 'male' },
  '4': { century: 1900, sex: 'female' },
  '5': { century: 2000, sex: 'male' },
  '6': { century: 2000, sex: 'female' },
};

function invalid(reason: IinInvalidReason, message: string, value: string): QtError {
  return new QtError('QT_ERR_IIN_INVALID', message, { reason, value });
}

/** A real calendar date as YYYY-MM-DD, or undefined (Feb 30, month 13, …). */
function calendarDate(year: number, month: number, day: number): string | undefined {
  const d = new Date(Date.UTC(year, month - 1, day));
  // Date.UTC maps years 0–99 to 1900–1999; setUTCFullYear does not.
  d.setUTCFullYear(year);
  if (d.getUTCFullYear() !== year || d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day) return undefined;
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

function parseStrict(iin: string): ValidIin {
  const centuryInfo = CENTURY_DIGITS[iin[6] as string];
  if (!centuryInfo) throw invalid('century', `The 7th digit (century and sex) must be 1–6, not ${iin[6]}`, iin);
  const year = centuryInfo.century + Number(iin.slice(0, 2));
  const birthDate = calendarDate(year, Number(iin.slice(2, 4)), Number(iin.slice(4, 6)));
  if (!birthDate) throw invalid('date', `The first six digits (${iin.slice(0, 6)}) are not a birth date`, iin);
  const expected = checkDigit(iin.slice(0, 11));
  if (expected === undefined || expected !== Number(iin[11])) {
    throw invalid('checksum', 'The check digit (the last one) does not match; the number was probably mistyped', iin);
  }
  return { test: false, iin, birthDate, sex: centuryInfo.sex, number: iin.slice(7, 11), checkDigit: expected };
}

/** Parses an IIN; throws QT_ERR_IIN_INVALID with details.reason when it is not valid. */
export function parseIin(value: string, options: IdentifierOptions = {}): IinInfo {
  checkTwelveDigits(value, (reason, message) => invalid(reason, message, value));
  try {
    return parseStrict(value);
  } catch (e) {
    if (options.testMode) return { test: true, iin: value };
    throw e;
  }
}

export function isValidIin(value: string, options: IdentifierOptions = {}): boolean {
  try {
    parseIin(value, options);
    return true;
  } catch {
    return false;
  }
}

export interface IinParts {
  /** YYYY-MM-DD, years 1800–2099. */
  birthDate: string;
  sex: Sex;
  /** Registration number 0–9999 (or its 4-digit text). */
  number: number | string;
}

/**
 * Builds the IIN for these parts (for tests, fixtures and the registry import). Some registration
 * numbers have no valid check digit for a given date; those throw reason "checksum".
 */
export function buildIin(parts: IinParts): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(parts.birthDate);
  const year = m ? Number(m[1]) : NaN;
  if (!m || !calendarDate(year, Number(m[2]), Number(m[3]))) {
    throw invalid('date', `The birth date "${parts.birthDate}" is not a YYYY-MM-DD date`, parts.birthDate);
  }
  const century = Math.floor(year / 100) * 100;
  const digit = Object.entries(CENTURY_DIGITS).find(([, c]) => c.century === century && c.sex === parts.sex)?.[0];
  if (!digit) throw invalid('century', `Birth years must be 1800–2099, not ${year}`, parts.birthDate);
  const number = String(parts.number);
  if (!/^\d{1,4}$/.test(number)) throw invalid('digits', `The registration number must be 0–9999, not ${number}`, number);
  const first11 = `${m[1]!.slice(2)}${m[2]}${m[3]}${digit}${number.padStart(4, '0')}`;
  const check = checkDigit(first11);
  if (check === undefined) {
    throw invalid('checksum', `No valid IIN exists with registration number ${number} for this date; use another number`, first11);
  }
  return `${first11}${check}`;
}
