import type { LimitsInEffectResponse } from '../../send-limits/dto/send-limits.dto';
import type { SendLimits } from '../../send-limits/send-limits';
import { integerOrText } from '../console-forms';
import { translate, type Lang } from '../i18n';

/** The two limit inputs of an account form. */
export const LIMIT_FIELDS = ['limitPerMinute', 'limitPerDay'] as const;

/** The inputs as the form shows them for stored limits. */
export function limitInputs(limits: SendLimits | undefined): Record<string, string> {
  return {
    limitPerMinute: limits?.perMinute != null ? String(limits.perMinute) : '',
    limitPerDay: limits?.perDay != null ? String(limits.perDay) : '',
  };
}

/** The `limits` of the request for the inputs: an empty input is no limit of the account's own. */
export function limitsOfInputs(values: Record<string, string>) {
  return {
    perMinute: integerOrText(values.limitPerMinute ?? '') ?? null,
    perDay: integerOrText(values.limitPerDay ?? '') ?? null,
  };
}

/** The input a validation error of `limits.*` belongs beside. */
export function limitField(path: string): string | undefined {
  if (path === 'limits.perMinute') return 'limitPerMinute';
  if (path === 'limits.perDay') return 'limitPerDay';
  return undefined;
}

/** "30 a minute (the provider’s default) · 10,000 a day (…)", or "none". */
export function limitsSummary(lang: Lang, limits: LimitsInEffectResponse): string {
  const number = new Intl.NumberFormat(lang);
  const parts: string[] = [];
  if (limits.perMinute !== null)
    parts.push(
      translate(lang, 'integrations.limits.perMinuteValue', {
        count: number.format(limits.perMinute),
        source: translate(lang, `integrations.limits.source.${limits.perMinuteSource}`),
      }),
    );
  if (limits.perDay !== null)
    parts.push(
      translate(lang, 'integrations.limits.perDayValue', {
        count: number.format(limits.perDay),
        source: translate(lang, `integrations.limits.source.${limits.perDaySource}`),
      }),
    );
  return parts.length ? parts.join(' · ') : translate(lang, 'integrations.limits.none');
}
