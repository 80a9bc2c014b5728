/**
 * ISO 8601 durations as rules write holds and expiries: `P30D`, `P2W`, `PT12H`, `P1DT6H`,
 * `PT30S`. Years and months are refused: their length depends on the date, and a hold that
 * ends on a different day depending on when it started surprises everyone.
 */
const DURATION =
  /^P(?:(\d{1,5})W)?(?:(\d{1,5})D)?(?:T(?:(\d{1,6})H)?(?:(\d{1,7})M)?(?:(\d{1,8})S)?)?$/;

/** Seconds in the duration, or a sentence saying what is wrong with it. */
export function parseDuration(raw: unknown): { seconds: number } | { error: string } {
  if (typeof raw !== 'string' || raw === 'P' || raw.endsWith('T'))
    return { error: 'must be an ISO 8601 duration such as "P30D", "P2W" or "PT12H"' };
  if (/^P\d+[YM]|^P.*\d+Y/.test(raw))
    return {
      error: `"${raw}" counts years or months, whose length varies; write days instead, e.g. "P30D" or "P365D"`,
    };
  const m = DURATION.exec(raw);
  if (!m) return { error: `"${raw}" is not an ISO 8601 duration such as "P30D", "P2W" or "PT12H"` };
  const [w, d, h, min, s] = m.slice(1).map((x) => Number(x ?? 0));
  const seconds = (((w * 7 + d) * 24 + h) * 60 + min) * 60 + s;
  if (seconds <= 0) return { error: `"${raw}" is no time at all; use a duration above zero` };
  // Ten years: longer is a typo, and it keeps dates in range on both databases.
  if (seconds > 3650 * 86400) return { error: `"${raw}" is more than 10 years` };
  return { seconds };
}
