import { HttpStatus, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Brackets, EntityManager, Repository } from 'typeorm';
import { AppError } from '../common/errors/app-error';
import { EntityQueries } from '../database/entity-queries';
import { Suppression, type SuppressionReason, type SuppressionScope } from './suppression.entity';

/** A suppression as the API and the console show it. */
export interface SuppressionView {
  email: string;
  reason: SuppressionReason;
  /** The machine-readable cause, such as SMTP_RECIPIENT_UNKNOWN, when there is one. */
  code?: string;
  detail: string;
  /** The message that caused it. */
  messageId?: string;
  scope: SuppressionScope;
  createdAt: string;
}

export function toSuppressionView(s: Suppression): SuppressionView {
  return {
    email: s.emailLower,
    reason: s.reason,
    ...(s.code ? { code: s.code } : {}),
    detail: s.detail,
    ...(s.messageId ? { messageId: s.messageId } : {}),
    scope: s.scope,
    createdAt: s.createdAt.toISOString(),
  };
}

/** A complaint holds back what the person may leave; everything else holds back every message. */
export function defaultScopeOf(reason: SuppressionReason): SuppressionScope {
  return reason === 'complaint' ? 'non-transactional' : 'all';
}

/** Whether `s` holds back a message of `category`; without a category, any suppression does. */
export function suppressionApplies(s: Suppression, category?: string | null): boolean {
  return !(s.scope === 'non-transactional' && category === 'transactional');
}

const WHY: Record<SuppressionReason, string> = {
  hard_bounce: 'it bounced for good',
  complaint: 'its owner marked a message as spam',
  manual: 'it was suppressed by hand',
  rejected: 'the receiving server refused it',
};

/** What a message held back by `s` records as its error: why, and how to send to it again. */
export function suppressedMessage(s: Suppression): string {
  const cause = [s.code, s.detail].filter(Boolean).join(': ');
  return (
    `Not sent: ${s.emailLower} is suppressed because ${WHY[s.reason]}${cause ? ` (${cause})` : ''}. ` +
    'Lift the suppression (DELETE /v1/suppressions/:email or the console) to send to it again.'
  );
}

export interface AddSuppressionOptions {
  /** The message that caused it. */
  messageId?: string | null;
  /** Default: `non-transactional` for a complaint, `all` for the rest. */
  scope?: SuppressionScope;
  /** The machine-readable cause, such as SMTP_RECIPIENT_UNKNOWN. */
  code?: string | null;
  manager?: EntityManager;
}

export interface ListSuppressionsOptions {
  /** The beginning of the address, any case. */
  email?: string;
  reason?: SuppressionReason;
  cursor?: string;
  limit?: number;
}

const encodeCursor = (s: Suppression) =>
  Buffer.from(`${s.createdAt.toISOString()}|${s.emailLower}`).toString('base64url');

function decodeCursor(cursor: string): { at: Date; email: string } {
  const text = Buffer.from(cursor, 'base64url').toString();
  // An address may hold a "|"; the timestamp before it never does.
  const bar = text.indexOf('|');
  const at = new Date(bar > 0 ? text.slice(0, bar) : '');
  const email = bar > 0 ? text.slice(bar + 1) : '';
  if (!email || Number.isNaN(at.getTime()))
    throw AppError.badRequest(
      'CURSOR_INVALID',
      'The cursor is not valid; use the nextCursor of the previous page.',
    );
  return { at, email };
}

/** `%`, `_` and the escape character itself match literally in a LIKE pattern. */
const escapeLike = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);

export const suppressionNotFound = (email: string) =>
  new AppError(
    HttpStatus.NOT_FOUND,
    'SUPPRESSION_NOT_FOUND',
    `${JSON.stringify(email)} is not suppressed in this program: there is nothing to lift, and messages to it are sent.`,
  );

/** Addresses a program no longer sends to, and why. */
@Injectable()
export class SuppressionsService {
  private readonly queries: EntityQueries<Suppression>;
  private readonly removeStatement: ReturnType<EntityQueries<Suppression>['statement']>;

  constructor(
    @InjectRepository(Suppression) private readonly suppressions: Repository<Suppression>,
  ) {
    this.queries = new EntityQueries(suppressions);
    this.removeStatement = this.queries.statement(
      'remove',
      (q) =>
        `DELETE FROM ${q.table} WHERE ${q.col('programId')} = ${q.param('programId')} ` +
        `AND ${q.col('emailLower')} = ${q.param('emailLower')} RETURNING ${q.all}`,
    );
  }

  /**
   * The suppression of `email` in the program that holds back a message of `category`, if any
   * (addresses compare without case). A transactional message passes a `non-transactional`
   * suppression; without a category, a suppression of any scope is returned.
   */
  async find(
    programId: string,
    email: string,
    category?: string | null,
    manager?: EntityManager,
  ): Promise<Suppression | null> {
    const found = await this.queries.findOne(
      { programId, emailLower: email.toLowerCase() },
      manager,
    );
    return found && suppressionApplies(found, category) ? found : null;
  }

  /** The suppressions of `emails` in the program, by lower-cased address: one read for all. */
  async findAll(
    programId: string,
    emails: string[],
    manager?: EntityManager,
  ): Promise<Map<string, Suppression>> {
    const lower = [...new Set(emails.map((e) => e.toLowerCase()))];
    const found = await this.queries.findIn({ programId }, 'emailLower', lower, manager);
    return new Map(found.map((s) => [s.emailLower, s]));
  }

  /**
   * Suppresses `email`. An address already suppressed keeps its first reason (one row per
   * address), except that a wider scope replaces a narrower one: a hard bounce after a complaint
   * holds back transactional messages too.
   */
  async add(
    programId: string,
    email: string,
    reason: SuppressionReason,
    detail: string,
    options: AddSuppressionOptions = {},
  ): Promise<{ suppression: Suppression; created: boolean }> {
    const { manager } = options;
    const row: Suppression = Object.assign(new Suppression(), {
      programId,
      emailLower: email.toLowerCase(),
      reason,
      code: options.code ?? null,
      detail,
      messageId: options.messageId ?? null,
      scope: options.scope ?? defaultScopeOf(reason),
      createdAt: new Date(),
    });
    const key = { programId, emailLower: row.emailLower };
    // Insert-or-ignore keeps a caller's transaction usable on Postgres; a row lifted between the
    // insert and the read is inserted again on the next turn.
    for (let turn = 0; turn < 3; turn++) {
      if (await this.queries.insert(row, { ignoreConflict: true, manager }))
        return { suppression: row, created: true };
      if (row.scope === 'all') {
        const { code, messageId, scope, createdAt } = row;
        const widened = await this.queries.update(
          { reason, code, detail, messageId, scope, createdAt },
          { ...key, scope: 'non-transactional' },
          manager,
        );
        if (widened) return { suppression: row, created: false };
      }
      const stored = await this.queries.findOne(key, manager);
      if (stored) return { suppression: stored, created: false };
    }
    throw new Error(`suppression of ${row.emailLower} was neither inserted nor found`);
  }

  /** A suppression added by hand (the API's PUT, the console); `note` says why. */
  async addManual(
    programId: string,
    email: string,
    note?: string,
  ): Promise<{ view: SuppressionView; created: boolean }> {
    const { suppression, created } = await this.add(programId, email, 'manual', note ?? '');
    return { view: toSuppressionView(suppression), created };
  }

  /** Lifts the suppression of `email`: messages to it are sent again. 404 when there is none. */
  async remove(programId: string, email: string): Promise<SuppressionView> {
    const [removed] = await this.removeStatement.rows([programId, email.trim().toLowerCase()]);
    if (!removed) throw suppressionNotFound(email);
    return toSuppressionView(removed);
  }

  /** The program's suppressions, newest first, in pages. */
  async list(
    programId: string,
    options: ListSuppressionsOptions = {},
  ): Promise<{ items: SuppressionView[]; nextCursor: string | null }> {
    const limit = options.limit ?? 50;
    const qb = this.suppressions
      .createQueryBuilder('s')
      .where('s.programId = :programId', { programId });
    const prefix = options.email?.trim().toLowerCase();
    if (prefix)
      qb.andWhere("s.emailLower LIKE :prefix ESCAPE '\\'", { prefix: `${escapeLike(prefix)}%` });
    if (options.reason) qb.andWhere('s.reason = :reason', { reason: options.reason });
    if (options.cursor) {
      const c = decodeCursor(options.cursor);
      qb.andWhere(
        new Brackets((w) =>
          w
            .where('s.createdAt < :at', { at: c.at })
            .orWhere('s.createdAt = :at AND s.emailLower < :email', { at: c.at, email: c.email }),
        ),
      );
    }
    const rows = await qb
      .orderBy('s.createdAt', 'DESC')
      .addOrderBy('s.emailLower', 'DESC')
      .take(limit + 1)
      .getMany();
    const page = rows.slice(0, limit);
    return {
      items: page.map(toSuppressionView),
      nextCursor: rows.length > limit ? encodeCursor(page[page.length - 1]) : null,
    };
  }
}
