import { MessagesService } from '../../messages/messages.service';
import { Injectable } from '@nestjs/common';
import { ListMessagesQuery, MESSAGE_STATUSES } from '../../messages/dto/message.dto';
import type { SignedInContext } from '../console-request';
import {
  attempt,
  emptyForm,
  errorNotice,
  noticeFromQuery,
  pickFields,
  refusedForm,
  validateQuery,
  type Notice,
} from '../console-forms';
import type { Page, PageResult } from '../console-views.service';
import { givenFilters, pageLinks } from './paged-lists';
import { SuppressionsService, toSuppressionView } from '../../suppressions/suppressions.service';
import { emailCategoryOf } from '../../templates/renderer';
import { translate } from '../i18n';
import type { PreviewDocument } from './templates-page.service';

const PAGE_SIZE = 25;
const FILTERS = ['status', 'to', 'template', 'cursor'] as const;

/** The Messages pages: the log with filters and paging, one message with its attempts, retry. */
@Injectable()
export class MessagesPageService {
  constructor(
    private readonly messages: MessagesService,
    private readonly suppressions: SuppressionsService,
  ) {}

  async list(ctx: SignedInContext, query: Record<string, unknown>): Promise<Page> {
    const values = pickFields(query, FILTERS);
    const filters = givenFilters(values);
    const outcome = await attempt(async () =>
      this.messages.list(
        ctx.program.id,
        await validateQuery(ListMessagesQuery, { ...filters, limit: PAGE_SIZE }),
      ),
    );
    const form = outcome.ok
      ? emptyForm(values)
      : refusedForm(ctx.lang, values, outcome.error, 'messages.filterRefused', (path) => path);
    const page = outcome.ok ? outcome.value : { items: [], nextCursor: null };
    return {
      view: 'messages',
      title: 'messages.title',
      section: 'messages',
      status: outcome.ok ? undefined : outcome.error.getStatus(),
      model: {
        notice: form.notice,
        form: { values, errors: form.errors },
        statuses: MESSAGE_STATUSES,
        items: page.items,
        ...pageLinks('/console/messages', filters, page.nextCursor),
      },
    };
  }

  async detail(
    ctx: SignedInContext,
    id: string,
    noticeKey?: unknown,
    notice?: Notice,
    status?: number,
  ): Promise<Page> {
    const message = await this.messages.get(ctx.program.id, id);
    const retryable = message.status === 'failed' || message.status === 'suppressed';
    // A retry would be held back again at once: say so, and where to lift it.
    // (Once: a refused retry's notice says it already.)
    const suppressed =
      retryable && notice?.code !== 'RECIPIENT_SUPPRESSED'
        ? await this.suppressionOf(ctx, message)
        : null;
    return {
      view: 'message',
      title: 'messages.detailTitle',
      section: 'messages',
      status,
      model: {
        notice: notice ?? noticeFromQuery(ctx.lang, noticeKey),
        message,
        retryable,
        suppressed,
        attempts: [...message.attemptLog].reverse(),
      },
    };
  }

  async retry(ctx: SignedInContext, id: string): Promise<PageResult> {
    const suppressed = await this.suppressionOf(ctx, await this.messages.get(ctx.program.id, id));
    if (suppressed) {
      const notice: Notice = {
        kind: 'error',
        title: translate(ctx.lang, 'messages.retrySuppressed'),
        message: translate(ctx.lang, 'messages.suppressedWhy', {
          email: suppressed.email,
          reason: translate(ctx.lang, `suppressionReason.${suppressed.reason}`),
        }),
        code: 'RECIPIENT_SUPPRESSED',
        link: { href: suppressed.liftHref, label: translate(ctx.lang, 'messages.liftLink') },
      };
      return this.detail(ctx, id, undefined, notice, 409);
    }
    const outcome = await attempt(() => this.messages.retry(ctx.program.id, id));
    if (!outcome.ok)
      return this.detail(
        ctx,
        id,
        undefined,
        errorNotice(ctx.lang, outcome.error, 'messages.retryRefused'),
        outcome.error.getStatus(),
      );
    return { redirect: `/console/messages/${encodeURIComponent(id)}?notice=message-retried` };
  }

  /** The suppression that holds back the message's address now, with where to lift it. */
  private async suppressionOf(
    ctx: SignedInContext,
    message: { id: string; to: string; template: string },
  ) {
    const found = await this.suppressions.find(
      ctx.program.id,
      message.to,
      emailCategoryOf(message.template),
    );
    if (!found) return null;
    const lift = new URLSearchParams({ email: found.emailLower, message: message.id });
    return {
      ...toSuppressionView(found),
      liftHref: `/console/suppressions?${lift.toString()}`,
    };
  }

  /** The message's HTML for its sandboxed frame; withheld content stays withheld. */
  async html(ctx: SignedInContext, id: string): Promise<PreviewDocument> {
    const message = await this.messages.get(ctx.program.id, id);
    return { html: message.content?.html ?? '' };
  }
}
