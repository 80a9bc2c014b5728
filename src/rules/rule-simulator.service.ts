import { Injectable } from '@nestjs/common';
import { DataSource, In } from 'typeorm';
import { Reward } from '../rewards/reward.entity';
import { reversalReference, rewardOptionsOf } from '../rewards/rules/reward-action-options';
import type { RewardAction } from './engine/rule-types';
import { AppError } from '../common/errors/app-error';
import type { EventPersonDto } from '../events/dto/event.dto';
import { Participant } from '../participants/participant.entity';
import { emailRequired, ParticipantsService } from '../participants/participants.service';
import type { Program } from '../programs/program.entity';
import { describeAction, type RuleResult } from './action-plan';
import type { SimulateRulesDto } from './dto/rule.dto';
import { RuleEngine } from './rule-engine.service';
import { CodePoolsService } from '../code-pools/code-pools.service';
import { withEventFields } from './rule-facts';
import { contextOf } from '../events/dto/event-context.dto';
import { fraudState } from '../fraud/fraud-checks';
import { FraudService } from '../fraud/fraud.service';

/** What POST /v1/events would refuse in the simulated event, and what to send instead. */
export interface EventNeed {
  field: string;
  code: string;
  message: string;
}

export interface SimulationView {
  matches: Array<{ ruleId: string; ruleName: string; ruleVersion: number }>;
  results: RuleResult[];
  /** Empty when a real event with this body would be accepted. */
  eventNeeds: EventNeed[];
}

/**
 * A dry run of POST /v1/events: the people as the event would leave them, the same engine,
 * and the actions that would run. Nothing is written.
 */
@Injectable()
export class RuleSimulator {
  constructor(
    private readonly engine: RuleEngine,
    private readonly participants: ParticipantsService,
    private readonly dataSource: DataSource,
    private readonly fraud: FraudService,
    private readonly codePools: CodePoolsService,
  ) {}

  async simulate(program: Program, dto: SimulateRulesDto): Promise<SimulationView> {
    const { event } = dto;
    if (event.referrer && event.referrer.id === event.participant.id) {
      throw AppError.badRequest(
        'REFERRER_IS_PARTICIPANT',
        'The referrer and the participant are the same person; send a different referrer id, or leave the referrer out.',
      );
    }
    const eventNeeds: EventNeed[] = [];
    const participant = await this.preview(
      program.id,
      event.participant,
      'participant',
      eventNeeds,
    );
    const referrer = event.referrer
      ? await this.preview(program.id, event.referrer, 'referrer', eventNeeds)
      : null;
    const runs = await this.engine.run({
      program,
      eventType: event.type,
      data: event.data ?? {},
      participant,
      referrer,
    });
    const now = new Date();
    const results: RuleResult[] = runs.map(({ rule, evaluation, actions }) => ({
      ruleId: rule.id,
      ruleName: rule.name,
      ruleVersion: rule.version,
      matched: evaluation.matched,
      failedConditions: evaluation.failedConditions,
      actions: actions.map((a) =>
        a.skip
          ? {
              ...describeAction(a),
              outcome: 'skipped' as const,
              reason: a.skip.reason,
              message: a.skip.message,
            }
          : {
              ...describeAction(a),
              outcome: 'would-write' as const,
              ...a.emailSkip,
              ...(a.action.type === 'reward' ? rewardPreview(a.action, event.data ?? {}, now) : {}),
            },
      ),
      ...(evaluation.error ? { error: evaluation.error } : {}),
    }));
    for (const result of results) {
      for (const outcome of result.actions) {
        const action = runs.find((r) => r.rule.id === result.ruleId)?.actions[outcome.index]
          ?.action;
        if (outcome.outcome === 'would-write' && action?.type === 'reward' && action.codePool)
          Object.assign(outcome, await this.codePoolPreview(program.id, action.codePool));
        if (outcome.outcome !== 'would-write' || action?.type !== 'reverse-rewards') continue;
        const reference = reversalReference(action, event.data ?? {});
        Object.assign(outcome, {
          reference,
          wouldReverse: reference ? await this.reversible(program.id, reference) : [],
        });
      }
    }
    for (const result of results) {
      for (const outcome of result.actions) {
        const action = runs.find((r) => r.rule.id === result.ruleId)?.actions[outcome.index]
          ?.action;
        if (outcome.outcome !== 'would-write' || action?.type !== 'reward') continue;
        // The verdict the reward would get now, with the event's context as if it were stored.
        const fraud = await this.fraud.assess({
          program,
          participant,
          referrer,
          to: action.to,
          context: contextOf(event.context),
        });
        if (!fraud) continue;
        const state = fraudState(fraud);
        if (state.status) delete outcome.releaseAt;
        if (state.status === 'denied') delete outcome.pendingReason;
        Object.assign(outcome, state, { fraud });
      }
    }
    return {
      matches: results
        .filter((r) => r.matched)
        .map((r) => ({ ruleId: r.ruleId, ruleName: r.ruleName, ruleVersion: r.ruleVersion })),
      results,
      eventNeeds,
    };
  }

  /** Whether a reward would get a code from the pool now, or wait for one; claims nothing. */
  private async codePoolPreview(programId: string, poolId: string) {
    const available = (await this.codePools.availableCount(programId, poolId)) ?? 0;
    return available > 0
      ? { codePool: { id: poolId, outcome: 'would-get-code' as const, available } }
      : {
          status: 'pending',
          pendingReason: 'CODE_POOL_EMPTY',
          codePool: { id: poolId, outcome: 'would-wait' as const, available },
        };
  }

  /** The rewards a reversal of `reference` would change now, and to what. */
  private async reversible(
    programId: string,
    reference: string,
  ): Promise<Array<{ rewardId: string; from: string; to: string }>> {
    const found = await this.dataSource.getRepository(Reward).find({
      where: { programId, reference, status: In(['pending', 'available', 'paid', 'redeemed']) },
      order: { createdAt: 'ASC', id: 'ASC' },
    });
    return found.map((r) => ({
      rewardId: r.id,
      from: r.status,
      to: r.status === 'pending' ? 'cancelled' : 'reversed',
    }));
  }

  /**
   * The person as the upsert of a real event would leave it, without writing it. One the event
   * would need an email to create is simulated without one, and `needs` says so.
   */
  private async preview(
    programId: string,
    person: EventPersonDto,
    role: 'participant' | 'referrer',
    needs: EventNeed[],
  ): Promise<Participant> {
    const { id, ...fields } = person;
    const existing = await this.participants.find(programId, id);
    if (!existing && !fields.email) {
      needs.push({
        field: `event.${role}.email`,
        code: emailRequired(id).code,
        message: `${role === 'participant' ? 'Participant' : 'Referrer'} "${id}" is not stored yet: a real event must send ${role}.email to create it, or POST /v1/events answers 400 PARTICIPANT_EMAIL_REQUIRED. This simulation ran without an address.`,
      });
    }
    const { participant } = this.participants.planUpsert(
      programId,
      id,
      fields,
      existing,
      new Date(),
      false,
    );
    return withEventFields(participant, person);
  }
}

/** The state a reward action would write now: pending (and until when) or available. */
function rewardPreview(action: RewardAction, data: unknown, now: Date) {
  const options = rewardOptionsOf(action, data, now);
  return {
    status: options.pending ? 'pending' : 'available',
    ...(options.pending ? { pendingReason: options.pending.reason } : {}),
    ...(options.pending?.releaseAt ? { releaseAt: options.pending.releaseAt.toISOString() } : {}),
    ...(action.ref ? { reference: options.reference } : {}),
  };
}
