import { Injectable } from '@nestjs/common';
import { AddSuppressionDto, ListSuppressionsQuery } from '../../suppressions/dto/suppression.dto';
import { SUPPRESSION_REASONS } from '../../suppressions/suppression.entity';
import { SuppressionsService } from '../../suppressions/suppressions.service';
import type { SignedInContext } from '../console-request';
import {
  attempt,
  emptyForm,
  errorNotice,
  noticeFromQuery,
  optional,
  pickFields,
  refusedForm,
  validateBody,
  validateQuery,
  type FormState,
  type Notice,
} from '../console-forms';
import type { Page, PageResult } from '../console-views.service';
import { givenFilters, pageLinks } from './paged-lists';

const PAGE_SIZE = 25;
const FILTERS = ['email', 'reason', 'cursor'] as const;
// A message the reader came from to lift its address: after the lift they go back to it.
const MESSAGE_ID = /^[A-Za-z0-9-]{1,64}$/;

const messageOf = (value: string): string | undefined =>
  MESSAGE_ID.test(value.trim()) ? value.trim() : undefined;

/** The Suppressions page: the list with search and filter, lifting one, adding one by hand. */
@Injectable()
export class SuppressionsPageService {
  constructor(private readonly suppressions: SuppressionsService) {}

  async list(
    ctx: SignedInContext,
    query: Record<string, unknown>,
    addForm: FormState = emptyForm({ email: '', note: '' }),
    overrides: { notice?: Notice; status?: number } = {},
  ): Promise<Page> {
    const values = pickFields(query, FILTERS);
    const filters = givenFilters(values);
    const message = messageOf(pickFields(query, ['message']).message);
    const outcome = await attempt(async () =>
      this.suppressions.list(
        ctx.program.id,
        await validateQuery(ListSuppressionsQuery, { ...filters, limit: PAGE_SIZE }),
      ),
    );
    const form = outcome.ok
      ? emptyForm(values)
      : refusedForm(ctx.lang, values, outcome.error, 'suppressions.filterRefused', (path) => path);
    const page = outcome.ok ? outcome.value : { items: [], nextCursor: null };
    return {
      view: 'suppressions',
      title: 'suppressions.title',
      section: 'suppressions',
      status: overrides.status ?? (outcome.ok ? undefined : outcome.error.getStatus()),
      model: {
        notice: form.notice ?? overrides.notice ?? noticeFromQuery(ctx.lang, query.notice),
        form: { values, errors: form.errors },
        addForm,
        reasons: SUPPRESSION_REASONS,
        filtered: Object.keys(filters).length > 0,
        items: page.items,
        message,
        ...pageLinks('/console/suppressions', filters, page.nextCursor, message ? { message } : {}),
      },
    };
  }

  /** Adds a manual suppression; an address already suppressed keeps its first reason. */
  async add(ctx: SignedInContext, body: unknown): Promise<PageResult> {
    const values = pickFields(body, ['email', 'note']);
    const outcome = await attempt(async () => {
      const dto = await validateBody(AddSuppressionDto, {
        email: values.email.trim(),
        ...(optional(values.note) !== undefined ? { note: optional(values.note) } : {}),
      });
      return this.suppressions.addManual(ctx.program.id, dto.email, dto.note);
    });
    if (!outcome.ok) {
      const form = refusedForm(
        ctx.lang,
        values,
        outcome.error,
        'suppressions.addRefused',
        (path) => path,
      );
      return this.list(ctx, {}, form, { status: outcome.error.getStatus() });
    }
    const { view, created } = outcome.value;
    const search = new URLSearchParams({
      email: view.email,
      notice: created ? 'suppression-added' : 'suppression-kept',
    });
    return { redirect: `/console/suppressions?${search.toString()}` };
  }

  /** Lifts a suppression; back to the message the reader came from, when they came from one. */
  async lift(ctx: SignedInContext, body: unknown): Promise<PageResult> {
    const values = pickFields(body, ['email', 'message']);
    const message = messageOf(values.message);
    const outcome = await attempt(() => this.suppressions.remove(ctx.program.id, values.email));
    if (!outcome.ok)
      return this.list(ctx, message ? { message } : {}, undefined, {
        notice: errorNotice(ctx.lang, outcome.error, 'suppressions.liftRefused'),
        status: outcome.error.getStatus(),
      });
    if (message)
      return {
        redirect: `/console/messages/${encodeURIComponent(message)}?notice=suppression-lifted`,
      };
    return { redirect: '/console/suppressions?notice=suppression-lifted' };
  }
}
