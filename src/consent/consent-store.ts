import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import { EntityQueries } from '../database/entity-queries';
import { categoryIsFixed, defaultCategoryOf, TRANSACTIONAL } from './consent-categories';
import { ConsentPreference, type ConsentSource } from './consent-preference.entity';
import { TemplateCategory } from './template-category.entity';

/**
 * The consent rows: each participant's choice per category, and the category a program gave a
 * template key. Read on the path of every email (the notifier, delivery), so by primary key.
 */
@Injectable()
export class ConsentStore {
  private readonly preferences: EntityQueries<ConsentPreference>;
  private readonly categories: EntityQueries<TemplateCategory>;

  constructor(
    @InjectRepository(ConsentPreference)
    private readonly preferenceRows: Repository<ConsentPreference>,
    @InjectRepository(TemplateCategory) private readonly categoryRows: Repository<TemplateCategory>,
  ) {
    this.preferences = new EntityQueries(preferenceRows);
    this.categories = new EntityQueries(categoryRows);
  }

  /** The category an email of `key` has in the program: its own setting, else the key's default. */
  async categoryOf(programId: string, key: string, manager?: EntityManager): Promise<string> {
    if (categoryIsFixed(key)) return TRANSACTIONAL;
    const row = await this.categories.findOne({ programId, templateKey: key }, manager);
    return row?.category ?? defaultCategoryOf(key);
  }

  /** True when the participant left `category`; a transactional email is never held. */
  async hasLeft(
    programId: string,
    participantId: string,
    category: string,
    manager?: EntityManager,
  ): Promise<boolean> {
    if (category === TRANSACTIONAL) return false;
    const row = await this.preferences.findOne({ programId, participantId, category }, manager);
    return row !== null && !row.subscribed;
  }

  /** The categories each of `participantIds` left: one read for all. */
  async leftOf(
    programId: string,
    participantIds: string[],
    manager?: EntityManager,
  ): Promise<Map<string, Set<string>>> {
    const rows = await this.preferences.findIn(
      { programId },
      'participantId',
      [...new Set(participantIds)],
      manager,
    );
    const left = new Map<string, Set<string>>();
    for (const row of rows.filter((r) => !r.subscribed))
      left.set(row.participantId, new Set([...(left.get(row.participantId) ?? []), row.category]));
    return left;
  }

  /** Every choice the participant made, one row per category. */
  choicesOf(programId: string, participantId: string): Promise<ConsentPreference[]> {
    return this.preferenceRows.find({
      where: { programId, participantId },
      order: { category: 'ASC' },
    });
  }

  /** The categories the program gave its keys. */
  templateCategories(programId: string): Promise<TemplateCategory[]> {
    return this.categoryRows.find({ where: { programId }, order: { templateKey: 'ASC' } });
  }

  async setTemplateCategory(programId: string, templateKey: string, category: string) {
    const row = { programId, templateKey, category, updatedAt: new Date() };
    await this.categoryRows.upsert(row, ['programId', 'templateKey']);
    return row;
  }

  async clearTemplateCategory(programId: string, templateKey: string): Promise<boolean> {
    const res = await this.categoryRows.delete({ programId, templateKey });
    return (res.affected ?? 0) > 0;
  }

  /**
   * Records a choice; answers true when it changed the state (a participant who had already left
   * the category and leaves it again changes nothing, so no second event).
   */
  async choose(
    manager: EntityManager | undefined,
    ref: { programId: string; participantId: string; category: string },
    subscribed: boolean,
    source: ConsentSource,
    at: Date,
  ): Promise<boolean> {
    const row = { ...ref, subscribed, source, changedAt: at };
    if (await this.preferences.insert(row, { ignoreConflict: true, manager })) return true;
    // Only a row in the other state changes: the conditional update is what makes one of two
    // clicks at once the one that counts.
    return (
      (await this.preferences.update(
        { subscribed, source, changedAt: at },
        { ...ref, subscribed: !subscribed },
        manager,
      )) > 0
    );
  }
}
