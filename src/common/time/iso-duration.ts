// ISO-8601 durations in weeks, days, hours, minutes and seconds. Years and months are refused:
// their length depends on the date, and reminders need a fixed offset.
const PATTERN =
  /^P(?!$)(?:(\d+)W)?(?:(\d+)D)?(?:T(?!$)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

export function parseIsoDuration(value: string): number | null {
  const m = PATTERN.exec(value);
  if (!m) return null;
  const [, w, d, h, min, s] = m.map((x) => (x === undefined ? 0 : Number(x)));
  const ms = ((((w * 7 + d) * 24 + h) * 60 + min) * 60 + s) * 1000;
  return ms > 0 ? Math.round(ms) : null;
}

export function isIsoDuration(value: unknown): value is string {
  return typeof value === 'string' && parseIsoDuration(value) !== null;
}
