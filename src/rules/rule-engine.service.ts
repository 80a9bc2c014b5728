import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app.config';
import type { Participant } from '../participants/participant.entity';
import type { Program } from '../programs/program.entity';
import { capEmails, planActions, type PlannedAction } from './action-plan';
import { RuleEvaluator, type RuleEvaluation } from './engine/rule-evaluator';
import { buildRuleFacts } from './rule-facts';
import type { Rule } from './rule.entity';
import { RulesCache } from './rules-cache';

export interface RuleRunInput {
  program: Program;
  eventType: string;
  data: Record<string, unknown>;
  participant: Participant;
  referrer: Participant | null;
  /** The stored event; absent in a simulation, so no effect keys are made. */
  eventId?: string;
}

export interface RuleRun {
  rule: Rule;
  evaluation: RuleEvaluation;
  /** The rule's actions when it matched, each with its recipient; empty otherwise. */
  actions: PlannedAction[];
}

/**
 * The one evaluation path: enabled rules from the cache, facts, json-rules-engine, then each
 * matching rule's actions planned. Real runs and simulations both come here.
 */
@Injectable()
export class RuleEngine {
  // Compiled engines are kept per set of rule versions; nothing in them depends on the event.
  private readonly evaluator = new RuleEvaluator();

  constructor(
    private readonly cache: RulesCache,
    private readonly config: AppConfig,
  ) {}

  /** The enabled rules of the type, from the cache; none means an event of it does nothing. */
  enabledRules(programId: string, eventType: string): Promise<Rule[]> {
    return this.cache.enabledRules(programId, eventType);
  }

  /** Evaluates `rules` (by default the enabled rules of the event's type) against the event. */
  async run(input: RuleRunInput, rules?: Rule[]): Promise<RuleRun[]> {
    rules ??= await this.cache.enabledRules(input.program.id, input.eventType);
    if (rules.length === 0) return [];
    const byId = new Map(rules.map((r) => [r.id, r]));
    const facts = buildRuleFacts({
      data: input.data,
      participant: input.participant,
      referrer: input.referrer,
      program: input.program,
    });
    const evaluations = await this.evaluator.evaluate(rules, facts);
    const runs = evaluations.map((evaluation) => {
      const rule = byId.get(evaluation.ruleId)!;
      const actions = evaluation.matched
        ? planActions(
            rule.id,
            evaluation.actions,
            { participant: input.participant, referrer: input.referrer },
            input.eventId,
          )
        : [];
      return { rule, evaluation, actions };
    });
    // Many rules with many actions must not flood one inbox from a single event.
    capEmails(runs, this.config.MAX_EMAILS_PER_EVENT_RECIPIENT);
    return runs;
  }
}
