import { Brackets, type SelectQueryBuilder } from 'typeorm';
import { AppError } from '../common/errors/app-error';
import { TEST_SEND_KEY_PREFIX } from '../templates/template-test-sends';
import type { ListMessagesQuery } from './dto/message.dto';
import type { Message } from './message.entity';

/** A message counts this many matches at most; past it the total is a lower bound. */
export const MAX_COUNTED = 10_000;

/** `test`: a template test send; `live`: everything else the program sent. */
export type MessageKind = 'live' | 'test';

export const kindOf = (m: Pick<Message, 'dedupeKey'>): MessageKind =>
  m.dedupeKey.startsWith(TEST_SEND_KEY_PREFIX) ? 'test' : 'live';

/**
 * Where a page starts: after (older than) a message, or before (newer than) one. A next cursor
 * keeps the form it always had, `<createdAt>|<id>`, so cursors handed out earlier still work.
 */
interface Cursor {
  direction: 'older' | 'newer';
  at: Date;
  id: string;
}

export function encodeCursor(m: Message, direction: Cursor['direction']): string {
  const at = `${m.createdAt.toISOString()}|${m.id}`;
  return Buffer.from(direction === 'older' ? at : `before|${at}`).toString('base64url');
}

function decodeCursor(cursor: string): Cursor {
  const parts = Buffer.from(cursor, 'base64url').toString().split('|');
  const newer = parts.length === 3 && parts[0] === 'before';
  const [at, id] = newer ? parts.slice(1) : parts;
  const date = new Date(at);
  if (!id || Number.isNaN(date.getTime()) || parts.length > (newer ? 3 : 2))
    throw AppError.badRequest(
      'CURSOR_INVALID',
      'The cursor is not valid; use the nextCursor or prevCursor of the page you are on.',
    );
  return { direction: newer ? 'newer' : 'older', at: date, id };
}

/** `%`, `_` and the escape character itself match literally in a LIKE pattern. */
const escapeLike = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * The filters of the message log on a query of `messages` aliased `m`. The recipient is matched
 * by its beginning in any case, in the form the recipient index of each database serves.
 */
export function filterMessages(
  qb: SelectQueryBuilder<Message>,
  programId: string,
  q: ListMessagesQuery,
  postgres: boolean,
): SelectQueryBuilder<Message> {
  qb.where('m.programId = :programId', { programId });
  if (q.status) qb.andWhere('m.status = :status', { status: q.status });
  if (q.template)
    qb.andWhere("m.templateKey LIKE :template ESCAPE '\\'", {
      template: `${escapeLike(q.template.trim().toLowerCase())}%`,
    });
  if (q.to) {
    const to = `${escapeLike(q.to.trim().toLowerCase())}%`;
    // SQLite's LIKE ignores ASCII case (addresses are ASCII) and uses the NOCASE index.
    qb.andWhere(
      postgres ? `lower(m.toEmail) LIKE :to ESCAPE '\\'` : `m.toEmail LIKE :to ESCAPE '\\'`,
      { to },
    );
  }
  if (q.since) qb.andWhere('m.createdAt >= :since', { since: new Date(q.since) });
  if (q.until) qb.andWhere('m.createdAt < :until', { until: new Date(q.until) });
  // The literal pattern, as the partial index of test sends is written with it.
  const isTest = `m.dedupeKey LIKE '${TEST_SEND_KEY_PREFIX}%'`;
  if (q.kind === 'test') qb.andWhere(isTest);
  if (q.kind === 'live') qb.andWhere(`NOT (${isTest})`);
  return qb;
}

/** One page of `limit` rows from where the cursor points, newest first whichever the direction. */
export async function pageOfMessages(
  qb: SelectQueryBuilder<Message>,
  limit: number,
  cursor?: string,
): Promise<{ items: Message[]; nextCursor: string | null; prevCursor: string | null }> {
  const c = cursor ? decodeCursor(cursor) : undefined;
  const newer = c?.direction === 'newer';
  if (c) {
    const [cmp, order] = newer ? ['>', 'ASC'] : ['<', 'DESC'];
    qb.andWhere(
      new Brackets((w) =>
        w
          .where(`m.createdAt ${cmp} :at`, { at: c.at })
          .orWhere(`m.createdAt = :at AND m.id ${cmp} :id`, { at: c.at, id: c.id }),
      ),
    ).orderBy('m.createdAt', order as 'ASC' | 'DESC');
    qb.addOrderBy('m.id', order as 'ASC' | 'DESC');
  } else {
    qb.orderBy('m.createdAt', 'DESC').addOrderBy('m.id', 'DESC');
  }
  const rows = await qb.take(limit + 1).getMany();
  const more = rows.length > limit;
  const items = rows.slice(0, limit);
  if (newer) items.reverse();
  const first = items[0];
  const last = items[items.length - 1];
  // Going back, the page came from older rows; going on, from newer ones.
  const olderLeft = newer ? !!last : more;
  const newerLeft = newer ? more : !!c && !!first;
  return {
    items,
    nextCursor: olderLeft && last ? encodeCursor(last, 'older') : null,
    prevCursor: newerLeft && first ? encodeCursor(first, 'newer') : null,
  };
}

/** How many messages match, counted up to MAX_COUNTED (one index range, whatever the database). */
export async function countMessages(
  qb: SelectQueryBuilder<Message>,
): Promise<{ total: number; totalExact: boolean }> {
  const matching = qb
    .clone()
    .select('1', 'one')
    .orderBy()
    .limit(MAX_COUNTED + 1);
  const [sql, params] = matching.getQueryAndParameters();
  const [row] = await qb.connection.query<Array<{ n: number | string }>>(
    `SELECT COUNT(*) AS "n" FROM (${sql}) "matching"`,
    params,
  );
  const n = Number(row?.n ?? 0);
  return n > MAX_COUNTED
    ? { total: MAX_COUNTED, totalExact: false }
    : { total: n, totalExact: true };
}
