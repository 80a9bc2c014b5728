import { Participant } from '../participants/participant.entity';
import { PARTICIPANT_FIELDS, toParticipantView } from '../participants/participants.service';
import { effectiveSettings, type Program } from '../programs/program.entity';
import type { RuleFacts } from './engine/rule-evaluator';

export interface FactSources {
  /** The event's `data`. */
  data: Record<string, unknown>;
  participant: Participant;
  referrer: Participant | null;
  program: Program;
}

/**
 * What conditions read, built one way for real evaluations and for simulations: the people as
 * the API shows them (never a password hash) and the program with its settings filled in.
 */
export function buildRuleFacts(sources: FactSources): RuleFacts {
  const { program } = sources;
  return {
    event: sources.data,
    participant: { ...toParticipantView(sources.participant) },
    referrer: sources.referrer ? { ...toParticipantView(sources.referrer) } : null,
    program: {
      id: program.id,
      name: program.name,
      timezone: program.timezone,
      defaultLocale: program.defaultLocale,
      settings: effectiveSettings(program),
    },
  };
}

/**
 * The person with the fields an event sent on top. Evaluation reads people through this, so an
 * event is judged by what it said even when a later event changed the stored participant first,
 * and a simulation (which stores nothing) sees exactly what the real run would.
 */
export function withEventFields(
  person: Participant,
  fields: Partial<Record<(typeof PARTICIPANT_FIELDS)[number], unknown>> | undefined,
): Participant {
  const patch: Record<string, unknown> = {};
  for (const key of PARTICIPANT_FIELDS) if (fields?.[key] !== undefined) patch[key] = fields[key];
  if (typeof patch.email === 'string') patch.emailLower = patch.email.toLowerCase();
  return Object.assign(new Participant(), person, patch);
}
