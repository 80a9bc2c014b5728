import { TemplatesService } from '../../templates/templates.service';
import { TemplateEditorService } from '../../templates/template-editor.service';
import { TemplateTestSends } from '../../templates/template-test-sends';
import { Injectable } from '@nestjs/common';
import { AppError } from '../../common/errors/app-error';
import {
  PutTemplateDto,
  SendTestTemplateDto,
  type TemplateResponse,
} from '../../templates/dto/template.dto';
import { TemplateKeyPipe, TemplateLocalePipe } from '../../templates/template-params';
import type { SignedInContext } from '../console-request';
import {
  attempt,
  emptyForm,
  noticeFromQuery,
  pickFields,
  refusedForm,
  successNotice,
  topField,
  validateBody,
  type FormState,
} from '../console-forms';
import type { Page, PageResult } from '../console-views.service';
import { translate } from '../i18n';
import { TemplateDrafts, type DraftProblem, type DraftRendering } from './template-drafts';

const PART_FIELDS = ['subject', 'html', 'text'] as const;
// The languages the default templates ship in; every key can be opened in them.
const SHIPPED_LOCALES = ['en', 'es', 'pt-BR'];

const keyPipe = new TemplateKeyPipe();
const localePipe = new TemplateLocalePipe();

export interface DraftPreview {
  ok: boolean;
  subject?: string;
  text?: string;
  locale?: string;
  problems: Array<DraftProblem & { field: string; where: string }>;
}

export interface PreviewDocument {
  html: string;
}

/** The parts as a save takes them: an empty text part is derived from the HTML. */
function draftParts(values: Record<(typeof PART_FIELDS)[number], string>) {
  return {
    subject: values.subject,
    html: values.html,
    text: values.text === '' ? null : values.text,
  };
}

/** "Line 3, column 7" for a problem that has a place. */
function where(problem: DraftProblem): string {
  if (problem.line === undefined) return '';
  return problem.column === undefined
    ? `Line ${problem.line}`
    : `Line ${problem.line}, column ${problem.column}`;
}

/** The Templates pages: every key and locale, the editor with its live preview, reset and test send. */
@Injectable()
export class TemplatesPageService {
  constructor(
    private readonly templates: TemplatesService,
    private readonly templateEditor: TemplateEditorService,
    private readonly drafts: TemplateDrafts,
    private readonly testSends: TemplateTestSends,
  ) {}

  async list(ctx: SignedInContext, openForm?: FormState, status?: number): Promise<Page> {
    const items = await this.templateEditor.list(ctx.program);
    return {
      view: 'templates',
      title: 'templates.title',
      section: 'templates',
      status,
      model: {
        items: items.map((item) => {
          const byLocale = new Map(item.locales.map((l) => [l.locale, l]));
          const locales = [...new Set([...SHIPPED_LOCALES, ...byLocale.keys()])].map((locale) => ({
            locale,
            source: byLocale.get(locale)?.source ?? 'default',
            version: byLocale.get(locale)?.version,
            href: `/console/templates/${item.key}/${locale}`,
          }));
          return {
            ...item,
            locales:
              item.kind === 'program' ? locales.filter((l) => byLocale.has(l.locale)) : locales,
          };
        }),
        openForm: openForm ?? emptyForm({ key: '', locale: ctx.program.defaultLocale }),
      },
    };
  }

  /** The "open a template" form: a new key of the program's own starts from the generic template. */
  async open(ctx: SignedInContext, query: Record<string, unknown>): Promise<PageResult> {
    const values = pickFields(query, ['key', 'locale']);
    const errors: Record<string, string[]> = {};
    let key = '';
    let locale = '';
    try {
      key = keyPipe.transform(values.key.trim());
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      errors.key = [err.message];
    }
    try {
      locale = localePipe.transform(values.locale.trim());
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      errors.locale = [err.message];
    }
    if (Object.keys(errors).length) return this.list(ctx, { values, errors }, 400);
    return { redirect: `/console/templates/${key}/${locale}` };
  }

  async edit(
    ctx: SignedInContext,
    rawKey: string,
    rawLocale: string,
    noticeKey?: unknown,
  ): Promise<Page> {
    const { key, locale } = this.address(rawKey, rawLocale);
    const template = await this.current(ctx, key, locale);
    return this.editor(ctx, template, {
      ...emptyForm(this.partsOf(template)),
      notice: noticeFromQuery(ctx.lang, noticeKey),
    });
  }

  async save(
    ctx: SignedInContext,
    rawKey: string,
    rawLocale: string,
    body: unknown,
  ): Promise<Page> {
    const { key, locale } = this.address(rawKey, rawLocale);
    const values = pickFields(body, PART_FIELDS);
    const outcome = await attempt(async () =>
      this.templateEditor.put(
        ctx.program,
        key,
        locale,
        await validateBody(PutTemplateDto, draftParts(values)),
      ),
    );
    if (!outcome.ok) {
      return this.refused(ctx, await this.current(ctx, key, locale), values, outcome.error);
    }
    const saved = outcome.value.template;
    const notice = successNotice(ctx.lang, 'templates.saved', { version: saved.version ?? '' });
    return this.editor(ctx, saved, { ...emptyForm(this.partsOf(saved)), notice });
  }

  async reset(ctx: SignedInContext, rawKey: string, rawLocale: string): Promise<PageResult> {
    const { key, locale } = this.address(rawKey, rawLocale);
    const outcome = await attempt(() => this.templateEditor.remove(ctx.program, key, locale));
    if (!outcome.ok) {
      const template = await this.current(ctx, key, locale);
      return this.refused(ctx, template, this.partsOf(template), outcome.error);
    }
    // A program key without templates left is gone: back to the list.
    const stillThere = await this.templates.templateExists(ctx.program.id, key);
    return {
      redirect: stillThere
        ? `/console/templates/${key}/${locale}?notice=template-reset`
        : '/console/templates',
    };
  }

  /** Sends the saved version to one address through the outbox; the message log follows it. */
  async sendTest(
    ctx: SignedInContext,
    rawKey: string,
    rawLocale: string,
    body: unknown,
  ): Promise<Page> {
    const { key, locale } = this.address(rawKey, rawLocale);
    const values = pickFields(body, ['to']);
    const template = await this.current(ctx, key, locale);
    const outcome = await attempt(async () =>
      this.templateEditor.sendTest(
        ctx.program,
        key,
        await validateBody(SendTestTemplateDto, { to: values.to.trim(), locale }),
        (to) => this.testSends.assertAllowed(ctx.program, to),
      ),
    );
    const test: FormState = outcome.ok
      ? {
          ...emptyForm(values),
          notice: successNotice(
            ctx.lang,
            'templates.test.queued',
            { to: values.to.trim() },
            {
              message: translate(ctx.lang, 'templates.test.subject', {
                subject: outcome.value.subject,
              }),
              link: {
                href: `/console/messages/${outcome.value.messageId}`,
                label: translate(ctx.lang, 'templates.test.follow'),
              },
            },
          ),
        }
      : refusedForm(ctx.lang, values, outcome.error, 'templates.test.failed', topField);
    return this.editor(
      ctx,
      template,
      emptyForm(this.partsOf(template)),
      test,
      outcome.ok ? undefined : outcome.error.getStatus(),
    );
  }

  /** The draft's subject, text and problems for the editor's script. */
  async preview(
    ctx: SignedInContext,
    rawKey: string,
    rawLocale: string,
    body: unknown,
  ): Promise<DraftPreview> {
    const { key, locale } = this.address(rawKey, rawLocale);
    const rendering = await this.renderDraft(ctx, key, locale, body);
    if (!rendering.ok) {
      return {
        ok: false,
        problems: rendering.problems.map((p) => ({
          ...p,
          field: p.part === 'layout' ? 'html' : p.part,
          where: where(p),
        })),
      };
    }
    return {
      ok: true,
      subject: rendering.email.subject,
      text: rendering.email.text,
      locale: rendering.locale,
      problems: [],
    };
  }

  /**
   * The document inside the preview frame: the posted draft, or the saved version when nothing
   * is posted. It is served with its own policy (sandboxed, no scripts), never as a console page.
   */
  async previewDocument(
    ctx: SignedInContext,
    rawKey: string,
    rawLocale: string,
    body?: unknown,
  ): Promise<Page | PreviewDocument> {
    const { key, locale } = this.address(rawKey, rawLocale);
    if (body && pickFields(body, ['html']).html) {
      const rendering = await this.renderDraft(ctx, key, locale, body);
      if (rendering.ok) return { html: rendering.email.html };
      return this.problemsDocument(rendering.problems);
    }
    const sample = optionalEmpty(body) ? ('optional-empty' as const) : undefined;
    const outcome = await attempt(() =>
      this.templateEditor.preview(ctx.program, key, { locale, sample }),
    );
    if (outcome.ok) return { html: outcome.value.html };
    return this.problemsDocument([{ part: '', message: outcome.error.message }]);
  }

  /** A draft gets the checks a save runs (sizes, blank parts, then the template itself) before it renders. */
  private async renderDraft(
    ctx: SignedInContext,
    key: string,
    locale: string,
    body: unknown,
  ): Promise<DraftRendering> {
    const parts = draftParts(pickFields(body, PART_FIELDS));
    const checked = await attempt(() => validateBody(PutTemplateDto, parts));
    if (!checked.ok) {
      const problems = (checked.error.details ?? []).map((d) => ({
        part: d.field ?? 'html',
        message: d.message,
      }));
      return {
        ok: false,
        problems: problems.length ? problems : [{ part: 'html', message: checked.error.message }],
      };
    }
    return this.drafts.render(ctx.program, key, locale, parts, optionalEmpty(body));
  }

  private problemsDocument(problems: DraftProblem[]): Page {
    return {
      view: 'preview-problems',
      title: 'templates.preview.problems',
      status: 200,
      model: { problems: problems.map((p) => ({ ...p, where: where(p) })) },
    };
  }

  private address(rawKey: string, rawLocale: string): { key: string; locale: string } {
    return { key: keyPipe.transform(rawKey), locale: localePipe.transform(rawLocale) };
  }

  /** The template a reader of the locale gets; a new key of the program's own starts from generic. */
  private async current(
    ctx: SignedInContext,
    key: string,
    locale: string,
  ): Promise<TemplateResponse & { isNew?: boolean }> {
    try {
      return await this.templateEditor.get(ctx.program, key, locale);
    } catch (err) {
      if (!(err instanceof AppError) || err.code !== 'TEMPLATE_NOT_FOUND') throw err;
      const generic = await this.templateEditor.get(ctx.program, 'generic', locale);
      return { ...generic, key, isNew: true };
    }
  }

  private partsOf(t: Pick<TemplateResponse, 'subject' | 'html' | 'text'>): Record<string, string> {
    return { subject: t.subject, html: t.html, text: t.text ?? '' };
  }

  /** The editor again after a save or a reset was refused: the form as sent, the reasons beside it. */
  private refused(
    ctx: SignedInContext,
    template: TemplateResponse,
    values: Record<string, string>,
    error: AppError,
  ): Page {
    const form = refusedForm(ctx.lang, values, error, 'templates.refused', topField);
    return this.editor(ctx, template, form, undefined, error.getStatus());
  }

  private editor(
    ctx: SignedInContext,
    template: TemplateResponse & { isNew?: boolean },
    form: FormState,
    test?: FormState,
    status?: number,
  ): Page {
    const base = `/console/templates/${template.key}/${template.locale}`;
    return {
      view: 'template-edit',
      title: 'templates.editTitle',
      section: 'templates',
      status,
      model: {
        template,
        // Reset is offered only where this exact key and locale has the program's own version.
        canReset:
          template.source === 'program' &&
          template.resolvedKey === template.key &&
          template.resolvedLocale === template.locale,
        inherited:
          template.resolvedKey !== template.key || template.resolvedLocale !== template.locale,
        form,
        test: test ?? emptyForm({ to: '' }),
        urls: {
          save: base,
          reset: `${base}/reset`,
          test: `${base}/test`,
          preview: `${base}/preview`,
          frame: `${base}/preview-frame`,
        },
      },
    };
  }
}

/** The editor's "optional fields empty" box: preview as for a participant without a name. */
function optionalEmpty(body: unknown): boolean {
  return pickFields(body, ['sample']).sample === 'optional-empty';
}
