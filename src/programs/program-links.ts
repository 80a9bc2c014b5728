import { effectiveSettings, Program } from './program.entity';

// Pages of the program's microsite that system emails link to. The base comes from the
// program's settings or the configuration, never from the request, so a forged Host header
// cannot point a reset link at someone else's site.
export const MICROSITE_PATHS = {
  verify: '/verify',
  resetPassword: '/reset-password',
  taxForm: '/tax-form',
  payoutDetails: '/payout-details',
} as const;

export function micrositeBase(program: Pick<Program, 'settings'>, publicBaseUrl: string): string {
  return (effectiveSettings(program).micrositeUrl ?? publicBaseUrl).replace(/\/+$/, '');
}

export function micrositeLink(
  base: string,
  page: keyof typeof MICROSITE_PATHS,
  token?: string,
): string {
  return `${base}${MICROSITE_PATHS[page]}${token === undefined ? '' : `?token=${encodeURIComponent(token)}`}`;
}
