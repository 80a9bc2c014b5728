import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import { EntityQueries } from '../database/entity-queries';
import { Suppression } from './suppression.entity';

/** Addresses a program no longer sends to, and why. */
@Injectable()
export class SuppressionsService {
  private readonly queries: EntityQueries<Suppression>;

  constructor(
    @InjectRepository(Suppression) private readonly suppressions: Repository<Suppression>,
  ) {
    this.queries = new EntityQueries(suppressions);
  }

  /** The suppression of `email` in the program, if any (addresses compare without case). */
  find(programId: string, email: string, manager?: EntityManager): Promise<Suppression | null> {
    return this.queries.findOne({ programId, emailLower: email.toLowerCase() }, manager);
  }

  /** Suppresses `email`; one that is already suppressed keeps its first reason. */
  async add(programId: string, email: string, reason: string, detail: string): Promise<void> {
    await this.suppressions
      .createQueryBuilder()
      .insert()
      .into(Suppression)
      .values({ programId, emailLower: email.toLowerCase(), reason, detail, createdAt: new Date() })
      .orIgnore()
      .execute();
  }
}
