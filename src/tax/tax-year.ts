import { centsBelowOrAt } from '../common/money/cents';
import { DEFAULT_SETTINGS, ProgramSettings } from '../programs/program.entity';

const yearFormats = new Map<string, Intl.DateTimeFormat>();

/** The calendar year `at` falls in, in the IANA time zone `timeZone`. */
export function yearInTimeZone(at: Date, timeZone: string): number {
  let format = yearFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric' });
    yearFormats.set(timeZone, format);
  }
  return Number(format.formatToParts(at).find((p) => p.type === 'year')?.value);
}

/** The W-9 threshold of a tax year: that year's override, else the program's, else 599. */
export function w9ThresholdFor(settings: ProgramSettings | null | undefined, year: number): number {
  const byYear = settings?.w9ThresholdsByYear?.[String(year)];
  if (typeof byYear === 'number') return byYear;
  return settings?.w9ThresholdUsd ?? DEFAULT_SETTINGS.w9ThresholdUsd;
}

/** Whether a total in whole cents is more than a threshold in dollars, compared exactly. */
export function aboveThreshold(totalCents: number, thresholdUsd: number): boolean {
  return totalCents > centsBelowOrAt(thresholdUsd);
}

/** A notice is owed once the year's total is above the threshold and no tax form is on file. */
export function w9NoticeDue(
  totalCents: number,
  thresholdUsd: number,
  taxFormOnFile: boolean,
): boolean {
  return !taxFormOnFile && aboveThreshold(totalCents, thresholdUsd);
}
