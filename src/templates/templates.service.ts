import { Injectable, OnModuleInit, Optional } from '@nestjs/common';
import {
  contractFor,
  draftLimitProblems,
  isEmailTypeKey,
  TemplateRenderer,
  toEventVars,
  toPersonVars,
  toProgramVars,
  toRewardVars,
  validateTemplate,
  type DefaultTemplateStore,
  type EventInput,
  type PersonInput,
  type ProgramInput,
  type RenderInput,
  type RenderResult,
  type RewardInput,
  type TemplateDraft,
  type TemplateValidationError,
} from './renderer';
import { TemplateOverrideStore } from './template-override.store';
import { TemplateWorkerPool } from './template-worker-pool';

/** What the variables of an email are built from; each sender passes what it has. */
export interface TemplateDataInput {
  program: ProgramInput;
  participant?: PersonInput | null;
  referrer?: PersonInput | null;
  /** Who the email is addressed to, for keys that have a `recipient` (default: the participant). */
  recipientRole?: 'participant' | 'referrer';
  reward?: RewardInput | null;
  event?: EventInput | null;
  /** Variables of the key's own (`verifyUrl`, `year`, ...); they win over the ones above. */
  extra?: Record<string, unknown>;
}

/**
 * Templates for everyone who sends: rendering (program override or default, locale fallback),
 * whether a key exists, and the variables of an email built the same way for previews and sends.
 */
@Injectable()
export class TemplatesService implements OnModuleInit {
  private readonly renderer: TemplateRenderer;

  constructor(
    private readonly overrides: TemplateOverrideStore,
    // Without workers (a unit test's service) programs' templates render in-process.
    @Optional() private readonly workers?: TemplateWorkerPool,
  ) {
    this.renderer = new TemplateRenderer({ source: overrides });
  }

  onModuleInit(): void {
    // A missing or broken templates folder stops the start, not the first send.
    this.renderer.defaultTemplates.keys();
  }

  /** The default templates on disk. */
  get defaults(): DefaultTemplateStore {
    return this.renderer.defaultTemplates;
  }

  /**
   * Renders one email: the program's override or the default, in the first locale of
   * `locales` (then `en`) that has one. Throws TemplateRenderError when the data does not fit
   * the template, TemplateNotFoundError when no locale has it. Previews and sends both come here.
   * A program's own template renders in a worker thread, within a time and a memory cap
   * (TemplateRenderLimitError when it goes over); the defaults are ours and render here.
   */
  async render(input: RenderInput): Promise<RenderResult> {
    const resolved = await this.renderer.resolve(input);
    if (resolved.source !== 'program' || !this.workers)
      return this.renderer.renderResolved(resolved, input);
    const { subject, html, text } = await this.workers.render(resolved, input);
    const { key, locale, source, version } = resolved;
    return { subject, html, text, key, locale, source, version };
  }

  /** The problems of a program's template before it is saved, found in a worker thread. */
  async validate(
    key: string,
    locale: string,
    draft: TemplateDraft,
  ): Promise<TemplateValidationError[]> {
    // Sizes and a linear scan first, here: a draft over the limits is refused at once, without
    // waiting for a worker that may be busy with another program's template.
    const limits = draftLimitProblems(draft);
    if (limits.length > 0) return limits;
    return this.workers ? this.workers.validate(key, locale, draft) : validateTemplate(key, draft);
  }

  /** System keys and `generic` always; a program's own key once it has a template in some locale. */
  async templateExists(programId: string, key: string): Promise<boolean> {
    return isEmailTypeKey(key) || this.overrides.hasKey(programId, key);
  }

  /** The program's own keys (not the system ones), sorted. */
  async listProgramKeys(programId: string): Promise<string[]> {
    return (await this.overrides.keys(programId)).filter((key) => !isEmailTypeKey(key));
  }

  /**
   * The variables of `key` (its email type's contract) from domain objects, through the
   * renderer's mappers. Only the contract's variables are kept; an optional one that was not
   * given is null, a required one that was not given stays missing, so rendering names it.
   */
  buildData(key: string, input: TemplateDataInput): Record<string, unknown> {
    const participant = input.participant ? toPersonVars(input.participant) : undefined;
    const referrer = input.referrer ? toPersonVars(input.referrer) : undefined;
    const recipientRole = input.recipientRole ?? 'participant';
    const known: Record<string, unknown> = {
      program: toProgramVars(input.program),
      participant,
      referrer,
      recipient: recipientRole === 'referrer' ? referrer : participant,
      recipientRole,
      reward: input.reward ? toRewardVars(input.reward) : undefined,
      event: input.event ? toEventVars(input.event) : undefined,
      ...input.extra,
    };
    const data: Record<string, unknown> = {};
    for (const [name, field] of Object.entries(contractFor(key).variables)) {
      const value = known[name];
      if (value !== undefined && value !== null) data[name] = value;
      else if (field.nullable) data[name] = null;
    }
    return data;
  }

  /** Forgets what is cached for an override that changed, so the next render reads it again. */
  changed(programId: string, key: string, locale: string): void {
    this.overrides.invalidate(programId, key);
    this.renderer.invalidate(programId, key, locale);
  }
}
