/** Calendar periods for validity: "1 year" means the same date and time a year later, as NCA issues. */
export interface Period {
  years?: number;
  months?: number;
  days?: number;
}

/** `date` plus `period`, clamped to the month's last day (a year after 29 February is 28 February). */
export function addPeriod(date: Date, period: Period): Date {
  const months = (period.years ?? 0) * 12 + (period.months ?? 0);
  const out = new Date(date.getTime());
  const day = out.getUTCDate();
  out.setUTCDate(1);
  out.setUTCMonth(out.getUTCMonth() + months);
  const lastDay = new Date(Date.UTC(out.getUTCFullYear(), out.getUTCMonth() + 1, 0)).getUTCDate();
  out.setUTCDate(Math.min(day, lastDay));
  return new Date(out.getTime() + (period.days ?? 0) * 86_400_000);
}

export function formatPeriod(period: Period): string {
  const parts: string[] = [];
  if (period.years) parts.push(`${period.years} year${period.years === 1 ? '' : 's'}`);
  if (period.months) parts.push(`${period.months} month${period.months === 1 ? '' : 's'}`);
  if (period.days) parts.push(`${period.days} day${period.days === 1 ? '' : 's'}`);
  return parts.join(' ') || '0 days';
}
