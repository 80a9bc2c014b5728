import { toParticipantView } from '../participants/participants.service';
import type { Participant } from '../participants/participant.entity';
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
