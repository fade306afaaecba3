/** An ISO 8601 duration, calendar-aware: P1Y, P1M, P30D, P2W, PT1H (time parts are for tests and demos). */
export interface Term {
  years: number;
  months: number;
  days: number;
  ms: number;
}

const PATTERN = /^P(?:(\d{1,4})Y)?(?:(\d{1,4})M)?(?:(\d{1,4})W)?(?:(\d{1,5})D)?(?:T(?:(\d{1,5})H)?(?:(\d{1,6})M)?(?:(\d{1,7})S)?)?$/;

export function parseTerm(text: string): Term | undefined {
  const m = PATTERN.exec(text);
  if (!m || text.endsWith('T')) return undefined;
  const [, y, mo, w, d, h, mi, s] = m.map((v) => (v === undefined ? 0 : Number(v)));
  const term = { years: y!, months: mo!, days: w! * 7 + d!, ms: ((h! * 60 + mi!) * 60 + s!) * 1000 };
  if (term.years === 0 && term.months === 0 && term.days === 0 && term.ms === 0) return undefined;
  return term;
}

/**
 * `anchor` plus `times` terms, in UTC. Months count from the anchor, so a term that starts on
 * the 31st ends on the last day of shorter months without drifting afterwards.
 */
export function addTerm(anchor: number, term: Term, times = 1): number {
  const date = new Date(anchor);
  const totalMonths = date.getUTCMonth() + (term.years * 12 + term.months) * times;
  const year = date.getUTCFullYear() + Math.floor(totalMonths / 12);
  const month = ((totalMonths % 12) + 12) % 12;
  const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  const day = Math.min(date.getUTCDate(), lastDay);
  const shifted = Date.UTC(year, month, day, date.getUTCHours(), date.getUTCMinutes(), date.getUTCSeconds(), date.getUTCMilliseconds());
  return shifted + term.days * times * 86_400_000 + term.ms * times;
}
