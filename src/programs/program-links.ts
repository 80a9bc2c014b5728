import { AppError, ErrorDetail } from '../common/errors/app-error';
import { isLocalHostName, type AppConfig } from '../config/app.config';
import { effectiveSettings, Program, ProgramSettings } from './program.entity';

/** Where this service serves the participant pages (under PUBLIC_BASE_URL). */
export const HOSTED_PAGES_PATH = '/p';

// The pages of a participant flow that system emails link to. With settings.micrositeUrl they
// are the microsite's (its base + the path); without, the hosted ones (PUBLIC_BASE_URL + /p +
// the path). The base comes from the program's settings or the configuration, never from the
// request, so a forged Host header cannot point a reset link at someone else's site.
export const MICROSITE_PATHS = {
  verify: '/verify',
  resetPassword: '/reset-password',
} as const;

export type ParticipantPage = keyof typeof MICROSITE_PATHS;

/**
 * The link to a participant page of the program, with the one-time token when there is one. A
 * hosted page without a token is told the program in the query (a microsite knows its own).
 */
export function participantPageLink(
  program: Pick<Program, 'id' | 'settings'>,
  publicBaseUrl: string,
  page: ParticipantPage,
  token?: string,
): string {
  const microsite = effectiveSettings(program).micrositeUrl;
  const base = microsite
    ? microsite.replace(/\/+$/, '')
    : `${publicBaseUrl.replace(/\/+$/, '')}${HOSTED_PAGES_PATH}`;
  const url = `${base}${MICROSITE_PATHS[page]}`;
  if (token !== undefined) return `${url}?token=${encodeURIComponent(token)}`;
  return microsite ? url : `${url}?program=${encodeURIComponent(program.id)}`;
}

/** Pages of the program's own site that only the program can provide (settings.links). */
export const PROGRAM_LINKS = ['taxForm', 'payoutDetails'] as const;
export type ProgramLinkName = (typeof PROGRAM_LINKS)[number];

/** The program's page for `name`, or null: then the email words it without a link. */
export function programLink(
  program: Pick<Program, 'settings'>,
  name: ProgramLinkName,
): string | null {
  return effectiveSettings(program).links?.[name] ?? null;
}

function hostOf(url: string): string {
  try {
    return new URL(url).hostname;
  } catch {
    return '';
  }
}

/**
 * In production a participant must never get a link to localhost, nor to a page over plain
 * http: the same rule as PUBLIC_BASE_URL, applied to the links a program sets. Checked when
 * the settings are saved, since the DTO's validators cannot see the configuration.
 */
export function refuseLocalLinks(
  settings: Pick<ProgramSettings, 'micrositeUrl' | 'links'> | undefined,
  config: Pick<AppConfig, 'NODE_ENV'>,
): void {
  if (config.NODE_ENV !== 'production' || !settings) return;
  const candidates: [string, string | null | undefined][] = [
    ['settings.micrositeUrl', settings.micrositeUrl],
    ...PROGRAM_LINKS.map((name): [string, string | null | undefined] => [
      `settings.links.${name}`,
      settings.links?.[name],
    ]),
  ];
  const details: ErrorDetail[] = [];
  for (const [field, value] of candidates) {
    if (!value) continue;
    if (isLocalHostName(hostOf(value)))
      details.push({
        field,
        code: 'INVALID_VALUE',
        message: `${field} points at ${hostOf(value)}, which no participant can reach; set the public https address of the page`,
      });
    else if (!value.startsWith('https://'))
      details.push({
        field,
        code: 'INVALID_VALUE',
        message: `${field} must be an https address in production, so that links in emails are not sent in clear`,
      });
  }
  if (details.length > 0)
    throw AppError.badRequest(
      'VALIDATION_FAILED',
      `The request has invalid fields: ${details.map((d) => d.field).join(', ')}.`,
      details,
    );
}
