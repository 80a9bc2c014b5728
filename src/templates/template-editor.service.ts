import { HttpStatus, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { AppError } from '../common/errors/app-error';
import { categoryIsFixed, defaultCategoryOf, TRANSACTIONAL } from '../consent/consent-categories';
import { ConsentHeaders } from '../consent/consent-headers';
import { ConsentStore } from '../consent/consent-store';
import { NotifyParticipant } from '../notifications/notify-participant';
import { Participant } from '../participants/participant.entity';
import { ParticipantsService } from '../participants/participants.service';
import { Program } from '../programs/program.entity';
import type {
  PreviewResponse,
  PreviewTemplateDto,
  PutTemplateDto,
  SendTestResponse,
  TemplateListItem,
  TemplateResponse,
} from './dto/template.dto';
import {
  contractFor,
  EMAIL_TYPE_KEYS,
  emailTypeOf,
  flattenDetails,
  hasUnsubscribeUrl,
  isEmailTypeKey,
  resolveLocaleChain,
  sampleEmailData,
  TemplateNotFoundError,
  withOptionalEmpty,
  TemplateRenderError,
  TemplateRenderLimitError,
  type RenderResult,
  type TemplateParts,
  type TemplateValidationError,
} from './renderer';
import { TemplateOverrideEntity } from './template-override.entity';
import { TemplateOverrideStore } from './template-override.store';
import { TemplateWorkerUnavailableError } from './template-worker-pool';
import { TemplatesService } from './templates.service';

interface Effective {
  key: string;
  locale: string;
  source: 'default' | 'program';
  parts: TemplateParts;
  row?: TemplateOverrideEntity;
}

/** What one preview rendered, and the input that reproduces it. */
interface Rendering {
  locales: string[];
  data: Record<string, unknown>;
  result: RenderResult;
}

const notFound = (key: string) =>
  new AppError(
    HttpStatus.NOT_FOUND,
    'TEMPLATE_NOT_FOUND',
    `There is no template "${key}". System keys are ${EMAIL_TYPE_KEYS.join(', ')}; create a key of your own with PUT /v1/templates/${key}/{locale}.`,
  );

function templateInvalid(problems: TemplateValidationError[]): AppError {
  const first = problems[0];
  const count = problems.length === 1 ? 'a problem' : `${problems.length} problems`;
  return AppError.badRequest(
    'TEMPLATE_INVALID',
    `The template has ${count}. ${first.part}, line ${first.line}, column ${first.column}: ${first.message}`,
    problems.map((p) => ({
      field: p.part,
      part: p.part,
      line: p.line,
      column: p.column,
      message: p.message,
      // A limit crossed names it, with what the part has and the most allowed.
      ...(p.limit ? { limit: p.limit, count: p.count, max: p.max } : {}),
    })),
  );
}

/** The check of a draft itself ran over its worker's time or memory: the draft is refused. */
function checkTooCostly(err: TemplateRenderLimitError): AppError {
  return AppError.badRequest(
    'TEMPLATE_INVALID',
    `The template could not be checked within the ${err.limit === 'memory' ? 'memory' : 'time'} a check may take; make it smaller or simpler.`,
    [{ field: err.part, part: err.part, limit: err.limit, message: err.reason }],
  );
}

// TEMPLATE_RENDER_FAILED when the data does not fit the template, TEMPLATE_RENDER_LIMIT when the
// render asked for more output, time or memory than one render may have.
function renderFailed(err: TemplateRenderError): AppError {
  const where =
    err.line !== undefined
      ? { line: err.line, ...(err.column !== undefined ? { column: err.column } : {}) }
      : {};
  const limit = err instanceof TemplateRenderLimitError ? { limit: err.limit } : {};
  return AppError.unprocessable(err.code, `${err.message}.`, [
    { field: err.part, part: err.part, ...where, ...limit, message: err.reason },
  ]);
}

const workersUnavailable = (err: TemplateWorkerUnavailableError) =>
  new AppError(HttpStatus.SERVICE_UNAVAILABLE, err.code, `${err.message} Try again shortly.`);

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  !!v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date);

/** `patch` over `base`: objects merge key by key, anything else (lists included) replaces. */
function deepMerge(
  base: Record<string, unknown>,
  patch: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(patch)) {
    out[k] = isPlainObject(v) && isPlainObject(out[k]) ? deepMerge(out[k], v) : v;
  }
  return out;
}

/** Listing, editing, previewing and test-sending a program's templates (the HTTP side). */
@Injectable()
export class TemplateEditorService {
  constructor(
    private readonly templates: TemplatesService,
    private readonly overrides: TemplateOverrideStore,
    private readonly participants: ParticipantsService,
    private readonly notify: NotifyParticipant,
    private readonly consent: ConsentStore,
    private readonly consentHeaders: ConsentHeaders,
  ) {}

  async list(program: Program): Promise<TemplateListItem[]> {
    const byKey = new Map<string, Map<string, { version: number; updatedAt: Date }>>();
    for (const o of await this.overrides.summaries(program.id)) {
      const locales = byKey.get(o.key) ?? new Map<string, { version: number; updatedAt: Date }>();
      locales.set(o.locale, o);
      byKey.set(o.key, locales);
    }
    const ownKeys = [...byKey.keys()].filter((k) => !isEmailTypeKey(k)).sort();
    const named = new Map(
      (await this.consent.templateCategories(program.id)).map((c) => [c.templateKey, c.category]),
    );
    return [...EMAIL_TYPE_KEYS, ...ownKeys].map((key) => {
      const own = byKey.get(key) ?? new Map<string, { version: number; updatedAt: Date }>();
      const defaults = isEmailTypeKey(key) ? this.templates.defaults.locales(key) : [];
      const locales = [...new Set([...defaults, ...own.keys()])].sort();
      return {
        key,
        kind: key === 'generic' ? 'generic' : isEmailTypeKey(key) ? 'system' : 'program',
        emailType: emailTypeOf(key),
        description: contractFor(key).description,
        category: categoryIsFixed(key) ? TRANSACTIONAL : (named.get(key) ?? defaultCategoryOf(key)),
        locales: locales.map((locale) => {
          const o = own.get(locale);
          return o
            ? {
                locale,
                source: 'program' as const,
                version: o.version,
                updatedAt: o.updatedAt.toISOString(),
              }
            : { locale, source: 'default' as const };
        }),
      };
    });
  }

  /**
   * The template a reader of `locale` gets: the program's override or the default, falling
   * back like a send does (that locale, the program default, then en).
   */
  async get(program: Program, key: string, locale: string): Promise<TemplateResponse> {
    const chain = resolveLocaleChain(locale, program.defaultLocale);
    const own = await this.overrides.findByKey(program.id, key);
    let found = this.pick(key, own, chain);
    if (!found && !isEmailTypeKey(key)) {
      if (own.length === 0) throw notFound(key);
      // Same order as the renderer: a program key with no template in these locales uses generic.
      found = this.pick('generic', await this.overrides.findByKey(program.id, 'generic'), chain);
    }
    if (!found) throw notFound(key);
    return {
      key,
      locale,
      source: found.source,
      resolvedKey: found.key,
      resolvedLocale: found.locale,
      subject: found.parts.subject,
      html: found.parts.html,
      text: found.parts.text ?? null,
      version: found.row?.version ?? null,
      updatedAt: found.row?.updatedAt.toISOString() ?? null,
      variables: Object.keys(contractFor(key).variables),
    };
  }

  /** Validates against the key's variables (generic for a program key), then saves a new version. */
  async put(
    program: Program,
    key: string,
    locale: string,
    dto: PutTemplateDto,
  ): Promise<{ template: TemplateResponse; created: boolean }> {
    const draft: TemplateParts = {
      subject: dto.subject,
      html: dto.html,
      text: dto.text ? dto.text : null,
    };
    let problems: TemplateValidationError[];
    try {
      // In a worker thread: a draft costly to check cannot hold up the service.
      problems = await this.templates.validate(key, locale, draft);
    } catch (err) {
      if (err instanceof TemplateRenderLimitError) throw checkTooCostly(err);
      if (err instanceof TemplateWorkerUnavailableError) throw workersUnavailable(err);
      throw err;
    }
    if (problems.length > 0) throw templateInvalid(problems);
    const { created } = await this.overrides.save(program.id, key, locale, draft);
    this.templates.changed(program.id, key, locale);
    return { template: await this.get(program, key, locale), created };
  }

  async remove(program: Program, key: string, locale: string): Promise<void> {
    const removed = await this.overrides.remove(program.id, key, locale);
    this.templates.changed(program.id, key, locale);
    if (!removed) {
      throw new AppError(
        HttpStatus.NOT_FOUND,
        'TEMPLATE_NOT_FOUND',
        `The program has no template "${key}" in ${locale} of its own; ${isEmailTypeKey(key) ? 'it already uses the default' : 'nothing to delete'}.`,
      );
    }
  }

  async preview(program: Program, key: string, dto: PreviewTemplateDto): Promise<PreviewResponse> {
    const { result } = await this.render(program, key, dto);
    return {
      subject: result.subject,
      html: result.html,
      text: result.text,
      locale: result.locale,
      source: result.source,
      resolvedKey: result.key,
    };
  }

  /**
   * Renders like a preview, then queues that exact input: delivery renders it the same way.
   * `allow` is the test-send policy (TemplateTestSends.assertAllowed); it throws to refuse.
   */
  async sendTest(
    program: Program,
    key: string,
    dto: PreviewTemplateDto & { to: string },
    allow: (to: string) => Promise<void>,
  ): Promise<SendTestResponse> {
    const { locales, data, result } = await this.render(program, key, dto);
    // After the render: an unknown template or participant is a 404 whatever the address.
    await allow(dto.to);
    const { id, status } = await this.notify.execute(undefined, {
      program,
      to: { address: dto.to },
      template: key,
      locales,
      // A test goes to an address, not to the participant: no one's unsubscribe link is kept.
      data: hasUnsubscribeUrl(key) ? { ...data, unsubscribeUrl: null } : data,
      // Every test is a new message, even with the same input.
      dedupeKey: `template-test:${randomUUID()}`,
    });
    return {
      messageId: id,
      status,
      subject: result.subject,
      locale: result.locale,
      source: result.source,
    };
  }

  private async render(program: Program, key: string, dto: PreviewTemplateDto): Promise<Rendering> {
    if (!(await this.templates.templateExists(program.id, key))) throw notFound(key);
    let participant: Participant | undefined;
    if (dto.participantId !== undefined && dto.participantId !== null) {
      participant = (await this.participants.find(program.id, dto.participantId)) ?? undefined;
      if (!participant) throw AppError.notFound('Participant', dto.participantId);
    }
    const locales = [dto.locale, participant?.locale, program.defaultLocale].filter(
      (l): l is string => !!l,
    );
    const data = this.previewData(
      key,
      program,
      participant,
      dto.data,
      this.sampleLocale(key, resolveLocaleChain(...locales)),
      dto.sample === 'optional-empty',
    );
    // A real participant's preview shows their own unsubscribe link, as a send to them would.
    if (participant && hasUnsubscribeUrl(key) && !(dto.data && 'unsubscribeUrl' in dto.data))
      data.unsubscribeUrl = this.consentHeaders.unsubscribeUrl({
        programId: program.id,
        participantId: participant.id,
        templateKey: key,
        category: await this.consent.categoryOf(program.id, key),
        returnPathTag: null,
      });
    try {
      return {
        locales,
        data,
        result: await this.templates.render({ programId: program.id, key, locales, data }),
      };
    } catch (err) {
      if (err instanceof TemplateRenderError) throw renderFailed(err);
      if (err instanceof TemplateNotFoundError) throw notFound(key);
      if (err instanceof TemplateWorkerUnavailableError) throw workersUnavailable(err);
      throw err;
    }
  }

  /**
   * Sample variables in the reader's language, with the real program, the real participant
   * when one is given (as the recipient too), and the caller's `data` over all of it.
   */
  private previewData(
    key: string,
    program: Program,
    participant: Participant | undefined,
    given: Record<string, unknown> | undefined,
    locale: string,
    optionalEmpty = false,
  ): Record<string, unknown> {
    const real = this.templates.buildData(key, { program, participant });
    const kept = participant
      ? ['program', 'participant', 'recipient', 'recipientRole']
      : ['program'];
    const sample = sampleEmailData(key, locale);
    let data: Record<string, unknown> = {
      ...((optionalEmpty ? withOptionalEmpty(key, sample) : sample) as Record<string, unknown>),
    };
    for (const name of kept) if (name in real) data[name] = real[name];
    if (given) {
      data = deepMerge(data, given);
      // New event data without its rows: list the new data, not the sample's.
      const event = given.event;
      if (
        isPlainObject(event) &&
        'data' in event &&
        !('details' in event) &&
        isPlainObject(data.event) &&
        isPlainObject(data.event.data)
      ) {
        data.event = { ...data.event, details: flattenDetails(data.event.data) };
      }
    }
    // The data a test send stores is JSON; the preview renders the very same values.
    return JSON.parse(JSON.stringify(data)) as Record<string, unknown>;
  }

  /** Sample people named for the language the email will most likely be in: the first shipped one along the chain. */
  private sampleLocale(key: string, chain: readonly string[]): string {
    const shipped = new Set(
      this.templates.defaults.locales(emailTypeOf(key)).map((l) => l.split('-')[0]),
    );
    return chain.find((l) => shipped.has(l.split('-')[0])) ?? chain[0];
  }

  /** The first template along the chain, in the order the renderer resolves. */
  private pick(
    key: string,
    own: TemplateOverrideEntity[],
    chain: readonly string[],
  ): Effective | undefined {
    for (const locale of chain) {
      const row = own.find((o) => o.locale === locale);
      if (row) return { key, locale, source: 'program', parts: row, row };
      const parts = isEmailTypeKey(key) ? this.templates.defaults.get(key, locale) : undefined;
      if (parts) return { key, locale, source: 'default', parts };
    }
    return undefined;
  }
}
