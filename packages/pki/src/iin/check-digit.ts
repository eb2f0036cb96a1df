/**
 * The check digit shared by IIN and BIN (DESIGN §4): a weighted sum mod 11, with a second weight
 * round when the first gives 10. If the second round also gives 10 no check digit exists, and no valid
 * number can have these first eleven digits.
 */
const SECOND_ROUND_WEIGHTS = [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2] as const;

/** The check digit for eleven digits, or undefined when both weight rounds give 10. */
export function checkDigit(first11: string): number | undefined {
  const digits = [...first11].map(Number);
  const round = (weight: (i: number) => number) => digits.reduce((sum, d, i) => sum + d * weight(i), 0) % 11;
  const first = round((i) => i + 1);
  if (first !== 10) return first;
  const second = round((i) => SECOND_ROUND_WEIGHTS[i] as number);
  return second === 10 ? undefined : second;
}

/** Length and digit checks common to IIN and BIN, reported through the caller's own error. */
export function checkTwelveDigits(value: string, error: (reason: 'length' | 'digits', message: string) => Error): void {
  if (value.length !== 12) throw error('length', `It must have 12 digits, not ${value.length} characters`);
  if (!/^\d{12}$/.test(value)) throw error('digits', 'It must contain digits only');
}
