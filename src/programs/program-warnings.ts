import type { Program } from './program.entity';
import { programLink, type ProgramLinkName } from './program-links';

export type ProgramWarningCode = 'TAX_FORM_LINK_MISSING' | 'PAYOUT_DETAILS_LINK_MISSING';

/** A setting the program misses, and what its emails do meanwhile. */
export interface ProgramWarning {
  code: ProgramWarningCode;
  setting: string;
  message: string;
}

const MISSING_LINK: Record<ProgramLinkName, { code: ProgramWarningCode; message: string }> = {
  taxForm: {
    code: 'TAX_FORM_LINK_MISSING',
    message:
      "settings.links.taxForm is not set: the W-9 notice and payout reminders carry no link to a tax form, and ask the participant to write to the program's replyTo address instead (or to contact the program, while replyTo is unset). Set it to the https page where participants submit their W-9.",
  },
  payoutDetails: {
    code: 'PAYOUT_DETAILS_LINK_MISSING',
    message:
      "settings.links.payoutDetails is not set: payout reminders carry no link to add payout details, and ask the participant to write to the program's replyTo address instead (or to contact the program, while replyTo is unset). Set it to the https page where participants add their banking details.",
  },
};

/** What the program's settings still miss, in a fixed order; empty when nothing does. */
export function programWarnings(program: Pick<Program, 'settings'>): ProgramWarning[] {
  return (Object.keys(MISSING_LINK) as ProgramLinkName[])
    .filter((name) => programLink(program, name) === null)
    .map((name) => ({ ...MISSING_LINK[name], setting: `settings.links.${name}` }));
}
