import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager, IsNull, Not } from 'typeorm';
import type { EventContext } from '../events/dto/event-context.dto';
import { ProgramEvent } from '../events/event.entity';
import type { Participant } from '../participants/participant.entity';
import type { Program } from '../programs/program.entity';
import { Reward } from '../rewards/reward.entity';
import { fraudVerdict, type FraudVerdict, type PersonSignals } from './fraud-checks';
import { effectiveFraudSettings } from './fraud-settings';

// A person's most recent events with a context: enough to know their usual IPs and devices.
const SIGNAL_EVENTS = 50;
// Rewards that were refused or withdrawn before they were owed do not count toward the limit.
const NOT_COUNTED = ['denied', 'cancelled'];

export interface FraudAssessment {
  program: Program;
  participant: Participant;
  referrer: Participant | null;
  /** Whom the reward goes to. */
  to: 'participant' | 'referrer';
  /** The context of an event not stored yet (a simulation); a stored one is read with the rest. */
  context?: EventContext | null;
}

/**
 * Gathers what the fraud checks compare (each person's IPs and devices from their own events,
 * the referrer's recent rewards) and returns the verdict of the program's settings. Reads in the
 * caller's transaction when given one.
 */
@Injectable()
export class FraudService {
  constructor(private readonly dataSource: DataSource) {}

  /** The verdict on a reward about to be written; null when the program's checks are off. */
  async assess(input: FraudAssessment, manager?: EntityManager): Promise<FraudVerdict | null> {
    const settings = effectiveFraudSettings(input.program.settings?.fraud);
    if (settings.mode === 'off') return null;
    const db = manager ?? this.dataSource.manager;
    const { program, participant, referrer } = input;
    const limit = settings.maxRewardsPerReferrer;
    const toReferrer = input.to === 'referrer' && !!referrer;
    // One after the other: in a transaction they share one connection anyway.
    const participantSignals = await this.signals(db, program.id, participant, input.context);
    const referrerSignals = referrer ? await this.signals(db, program.id, referrer) : null;
    const recent =
      limit && toReferrer
        ? await this.rewardsAsReferrer(db, program.id, referrer.id, limit.perSeconds)
        : 0;
    return fraudVerdict(settings, {
      participant: participantSignals,
      referrer: referrerSignals,
      toReferrer,
      referrerRecentRewards: recent,
    });
  }

  /** The person's address, and the IPs and devices of their own recent events. */
  private async signals(
    db: EntityManager,
    programId: string,
    person: Participant,
    extra?: EventContext | null,
  ): Promise<PersonSignals> {
    const events = await db.find(ProgramEvent, {
      where: { programId, participantId: person.id, context: Not(IsNull()) },
      select: { id: true, context: true },
      order: { createdAt: 'DESC' },
      take: SIGNAL_EVENTS,
    });
    const contexts = [...events.map((e) => e.context), extra].filter((c): c is EventContext => !!c);
    return {
      email: person.email ?? null,
      ips: unique(contexts.map((c) => c.ip)),
      devices: unique(contexts.map((c) => c.deviceId)),
    };
  }

  /** Rewards the referrer earned as the referrer of an event within the last `seconds`. */
  private rewardsAsReferrer(
    db: EntityManager,
    programId: string,
    referrerId: string,
    seconds: number,
  ): Promise<number> {
    return db
      .createQueryBuilder(Reward, 'r')
      .innerJoin(ProgramEvent, 'e', 'e.id = r.eventId')
      .where('r.programId = :programId', { programId })
      .andWhere('r.participantId = :referrerId', { referrerId })
      .andWhere('e.referrerId = :referrerId', { referrerId })
      .andWhere('r.createdAt >= :since', { since: new Date(Date.now() - seconds * 1000) })
      .andWhere('r.status NOT IN (:...ended)', { ended: NOT_COUNTED })
      .getCount();
  }
}

function unique(values: Array<string | undefined>): string[] {
  return [...new Set(values.filter((v): v is string => !!v))];
}
