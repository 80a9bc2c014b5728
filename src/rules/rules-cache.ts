import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import { SingleFlight } from '../common/async/single-flight';
import { EntityQueries } from '../database/entity-queries';
import { RuleRevision } from './rule-revision.entity';
import { Rule } from './rule.entity';

interface Entry {
  revision: number;
  rules: Rule[];
}

const MAX_PROGRAMS = 5000;

/**
 * The enabled rules of one (program, event type), kept in memory. Each read first compares the
 * program's revision row (one primary-key read), which every rule change raises in its own
 * transaction: an edit through any process is used by the next evaluation in every process,
 * with no TTL window in which a worker runs the old rules.
 */
@Injectable()
export class RulesCache {
  // programId → event type → entry; programs in least recently used order.
  private readonly programs = new Map<string, Map<string, Entry>>();
  private readonly revisions: EntityQueries<RuleRevision>;
  private readonly revisionReads = new SingleFlight<number>();

  constructor(
    @InjectRepository(Rule) private readonly rules: Repository<Rule>,
    @InjectRepository(RuleRevision) revisions: Repository<RuleRevision>,
  ) {
    this.revisions = new EntityQueries(revisions);
  }

  /** Enabled rules of the type, highest priority first, oldest first among equals. */
  async enabledRules(programId: string, event: string): Promise<Rule[]> {
    // The revision is read before the rules: rules newer than their stamp only cause one
    // extra reload, never a stale list that looks current.
    // Concurrent evaluations share one read of the revision; an edit that commits while it is
    // running is seen by the evaluations that read after it.
    const revision = await this.revisionReads.run(
      programId,
      async () => (await this.revisions.findOne({ programId }))?.revision ?? 0,
    );
    let byEvent = this.programs.get(programId);
    const cached = byEvent?.get(event);
    if (cached && cached.revision === revision) return cached.rules;
    const rules = await this.rules.find({
      where: { programId, event, enabled: true },
      order: { priority: 'DESC', createdAt: 'ASC', id: 'ASC' },
    });
    this.programs.delete(programId);
    // Entries of an older revision are useless once a newer one is seen.
    byEvent =
      byEvent && [...byEvent.values()].every((e) => e.revision === revision)
        ? byEvent
        : new Map<string, Entry>();
    byEvent.set(event, { revision, rules });
    this.programs.set(programId, byEvent);
    if (this.programs.size > MAX_PROGRAMS) this.programs.delete(this.programs.keys().next().value!);
    return rules;
  }

  /** Raises the program's revision; call inside the transaction that changes a rule. */
  async bump(manager: EntityManager, programId: string): Promise<void> {
    const now = new Date();
    await manager
      .createQueryBuilder()
      .insert()
      .into(RuleRevision)
      .values({ programId, revision: 0, updatedAt: now })
      .orIgnore()
      .execute();
    await manager
      .createQueryBuilder()
      .update(RuleRevision)
      .set({ revision: () => 'revision + 1', updatedAt: now })
      .where({ programId })
      .execute();
  }

  /** Drops this process's entries of the program at once, after a change committed. */
  invalidate(programId: string): void {
    this.programs.delete(programId);
  }
}
