/**
 * Argument readers shared by commands. A value that cannot be what the option means is a usage mistake:
 * commander prints the one line and the --help hint, and the command exits 2 before touching any data.
 */
import { InvalidArgumentError } from 'commander';
import { isQtError, parseSerial } from '@qoltanba/pki';

/** A certificate serial as typed (any case, colons, leading zeros) in the display spelling; not hex → usage error. */
export function serialArgument(text: string): string {
  try {
    return parseSerial(text);
  } catch (e) {
    throw new InvalidArgumentError(isQtError(e) ? e.message : String(e));
  }
}

/** An ISO date or date-time. */
export function dateArgument(text: string): Date {
  const d = new Date(text);
  if (Number.isNaN(d.getTime())) throw new InvalidArgumentError(`"${text}" is not a date such as 2025-03-01 or 2025-03-01T12:00:00Z`);
  return d;
}

/** A non-negative number of seconds. */
export function secondsArgument(text: string): number {
  const n = Number(text);
  if (text.trim() === '' || !(n >= 0) || !Number.isFinite(n)) throw new InvalidArgumentError(`"${text}" is not a number of seconds`);
  return n;
}
