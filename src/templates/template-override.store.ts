import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { isUniqueViolation } from '../common/errors/database-errors';
import type { TemplateOverride, TemplateParts, TemplateSource } from './renderer';
import { TemplateOverrideEntity } from './template-override.entity';

/**
 * How long overrides read for rendering are kept. Saves and deletes in this process drop
 * their entry at once; other processes (api and worker roles) see an edit within this time.
 */
export const OVERRIDE_CACHE_TTL_MS = 30_000;
/** (program, key) entries kept; the least recently used goes first. */
const MAX_CACHED_KEYS = 2_000;

type ByLocale = ReadonlyMap<string, TemplateOverride>;

interface CacheEntry {
  byLocale: ByLocale;
  expiresAt: number;
}

export type OverrideSummary = Pick<
  TemplateOverrideEntity,
  'key' | 'locale' | 'version' | 'updatedAt'
>;

/** The version the renderer caches compilations under: it changes on every save and never repeats after a delete. */
export function renderVersion(row: Pick<TemplateOverrideEntity, 'version' | 'updatedAt'>): string {
  return `${row.version}.${row.updatedAt.getTime()}`;
}

/**
 * Program overrides in the database. The renderer reads them through `getOverride`, served
 * from a cache of every locale of one (program, key), so a locale chain costs one query and a
 * burst of sends costs none. Editing reads and writes go to the database directly.
 */
@Injectable()
export class TemplateOverrideStore implements TemplateSource {
  ttlMs = OVERRIDE_CACHE_TTL_MS;
  private readonly cache = new Map<string, CacheEntry>();
  private readonly loading = new Map<string, Promise<ByLocale>>();

  constructor(
    @InjectRepository(TemplateOverrideEntity)
    private readonly rows: Repository<TemplateOverrideEntity>,
  ) {}

  async getOverride(
    programId: string,
    key: string,
    locale: string,
  ): Promise<TemplateOverride | undefined> {
    return (await this.cachedLocales(programId, key)).get(locale);
  }

  /** Drops the cached overrides of one (program, key), so the next render reads the database. */
  invalidate(programId: string, key: string): void {
    const id = cacheId(programId, key);
    this.cache.delete(id);
    // A read that started before the change must not store what it read.
    this.loading.delete(id);
  }

  findOne(programId: string, key: string, locale: string): Promise<TemplateOverrideEntity | null> {
    return this.rows.findOneBy({ programId, key, locale });
  }

  findByKey(programId: string, key: string): Promise<TemplateOverrideEntity[]> {
    return this.rows.find({ where: { programId, key }, order: { locale: 'ASC' } });
  }

  /** Every override of a program without its content, for listings. */
  summaries(programId: string): Promise<OverrideSummary[]> {
    return this.rows.find({
      where: { programId },
      select: { key: true, locale: true, version: true, updatedAt: true },
      order: { key: 'ASC', locale: 'ASC' },
    });
  }

  async keys(programId: string): Promise<string[]> {
    const rows = await this.rows
      .createQueryBuilder('t')
      .select('DISTINCT t.key', 'key')
      .where('t.programId = :programId', { programId })
      .orderBy('t.key', 'ASC')
      .getRawMany<{ key: string }>();
    return rows.map((r) => r.key);
  }

  async hasKey(programId: string, key: string): Promise<boolean> {
    return this.rows.existsBy({ programId, key });
  }

  /** Creates or replaces one override; the version counts every save, concurrent ones included. */
  async save(
    programId: string,
    key: string,
    locale: string,
    parts: TemplateParts,
  ): Promise<{ row: TemplateOverrideEntity; created: boolean }> {
    const content = { subject: parts.subject, html: parts.html, text: parts.text ?? null };
    let created = false;
    try {
      if (!(await this.update(programId, key, locale, content))) {
        const now = new Date();
        try {
          await this.rows.insert({
            programId,
            key,
            locale,
            ...content,
            version: 1,
            createdAt: now,
            updatedAt: now,
          });
          created = true;
        } catch (err) {
          // Another request created it first: this save becomes the next version.
          if (!isUniqueViolation(err) || !(await this.update(programId, key, locale, content)))
            throw err;
        }
      }
    } finally {
      this.invalidate(programId, key);
    }
    const row = await this.findOne(programId, key, locale);
    if (!row)
      throw new Error(
        `template override ${programId}/${key}/${locale} vanished after it was saved`,
      );
    return { row, created };
  }

  async remove(programId: string, key: string, locale: string): Promise<boolean> {
    const res = await this.rows.delete({ programId, key, locale });
    this.invalidate(programId, key);
    return (res.affected ?? 0) > 0;
  }

  private async update(
    programId: string,
    key: string,
    locale: string,
    content: Pick<TemplateOverrideEntity, 'subject' | 'html' | 'text'>,
  ): Promise<boolean> {
    const res = await this.rows
      .createQueryBuilder()
      .update(TemplateOverrideEntity)
      // Incremented in SQL, so two saves at once give two versions.
      .set({ ...content, version: () => '"version" + 1', updatedAt: new Date() })
      .where({ programId, key, locale })
      .execute();
    return (res.affected ?? 0) > 0;
  }

  private cachedLocales(programId: string, key: string): Promise<ByLocale> {
    const id = cacheId(programId, key);
    const hit = this.cache.get(id);
    if (hit && hit.expiresAt > Date.now()) {
      this.cache.delete(id);
      this.cache.set(id, hit);
      return Promise.resolve(hit.byLocale);
    }
    const pending = this.loading.get(id);
    if (pending) return pending;
    // One query per (program, key) at a time, however many renders wait for it.
    const load = this.load(programId, key);
    this.loading.set(id, load);
    load.then(
      (byLocale) => {
        if (this.loading.get(id) !== load) return;
        this.loading.delete(id);
        this.remember(id, byLocale);
      },
      () => {
        if (this.loading.get(id) === load) this.loading.delete(id);
      },
    );
    return load;
  }

  private async load(programId: string, key: string): Promise<ByLocale> {
    const rows = await this.rows.find({ where: { programId, key } });
    return new Map(
      rows.map((r) => [
        r.locale,
        { subject: r.subject, html: r.html, text: r.text, version: renderVersion(r) },
      ]),
    );
  }

  private remember(id: string, byLocale: ByLocale): void {
    this.cache.set(id, { byLocale, expiresAt: Date.now() + this.ttlMs });
    while (this.cache.size > MAX_CACHED_KEYS)
      this.cache.delete(this.cache.keys().next().value as string);
  }
}

function cacheId(programId: string, key: string): string {
  return `${programId}\u0001${key}`;
}
