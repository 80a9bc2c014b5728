import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { AppError } from '../common/errors/app-error';
import { sha256Hex } from '../common/crypto/tokens';
import { AppLogger, LOGGER } from '../common/logging/logging.module';
import { AppConfig } from '../config/app.config';
import { EventsService } from '../events/events.service';
import { MessageHistory } from '../messages/message-history';
import type { Message } from '../messages/message.entity';
import { ParticipantsService } from '../participants/participants.service';
import type { Program } from '../programs/program.entity';
import { ProgramsService } from '../programs/programs.service';
import { isEmailTypeKey } from '../templates/renderer';
import { TemplateOverrideStore } from '../templates/template-override.store';
import {
  CATEGORY_PATTERN,
  categoryIsFixed,
  DEFAULT_CATEGORIES,
  defaultCategoryOf,
  TRANSACTIONAL,
} from './consent-categories';
import { unsubscribeLink } from './consent-headers';
import type { ConsentSource } from './consent-preference.entity';
import { ConsentStore } from './consent-store';
import { ConsentTokens, type ConsentRef } from './consent-tokens';
import { WebhookEvents } from '../webhooks/webhook-events';
import { participantUnsubscribed } from '../webhooks/webhook-payloads';

export type { ConsentSource } from './consent-preference.entity';

/** One category of a program as a participant stands to it. */
export interface CategoryPreference {
  category: string;
  subscribed: boolean;
  changedAt?: string;
  source?: ConsentSource;
}

/** The category of one template key in a program. */
export interface TemplateCategoryView {
  key: string;
  category: string;
  /** What the key has when the program names none. */
  defaultCategory: string;
  /** Transactional emails keep their category. */
  fixed: boolean;
}

/** The event that enters the rules when a participant leaves a category. */
export const UNSUBSCRIBED_EVENT = 'participant.unsubscribed';

const tokenInvalid = () =>
  AppError.badRequest(
    'TOKEN_INVALID',
    'This unsubscribe link is not valid: it was changed or cut. Use the link of the email as it came.',
  );

/**
 * Consent: which categories of a program's email a participant gets, the unsubscribe links and
 * addresses that change it, and the event each departure puts into the rules. Transactional
 * email is never a category a person can leave.
 */
@Injectable()
export class ConsentService {
  constructor(
    private readonly store: ConsentStore,
    private readonly tokens: ConsentTokens,
    private readonly participants: ParticipantsService,
    private readonly programs: ProgramsService,
    private readonly events: EventsService,
    private readonly history: MessageHistory,
    private readonly overrides: TemplateOverrideStore,
    private readonly dataSource: DataSource,
    private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: AppLogger,
    private readonly webhooks: WebhookEvents,
  ) {}

  /** `${PUBLIC_BASE_URL}/p/unsubscribe/<token>`: the token names all three, sealed. */
  unsubscribeUrl(programId: string, participantId: string, category: string): string {
    return unsubscribeLink(this.config, this.tokens, { programId, participantId, category });
  }

  /** What an unsubscribe token names; null when it is not one this service made (or was edited). */
  readToken(token: string): { programId: string; participantId: string; category: string } | null {
    return this.tokens.open(token);
  }

  /** The non-transactional categories of the program: rewards, marketing, and those its keys name. */
  async categoriesOf(programId: string): Promise<string[]> {
    const named = (await this.store.templateCategories(programId)).map((c) => c.category);
    return ordered([...DEFAULT_CATEGORIES, ...named]);
  }

  /** Every non-transactional category of the program with the participant's state. 404 for no such participant. */
  async preferences(programId: string, participantId: string): Promise<CategoryPreference[]> {
    await this.participants.get(programId, participantId);
    const [categories, choices] = await Promise.all([
      this.categoriesOf(programId),
      this.store.choicesOf(programId, participantId),
    ]);
    const byCategory = new Map(choices.map((c) => [c.category, c]));
    // A category the person left stays listed even once no key names it any more.
    return ordered([...categories, ...byCategory.keys()]).map((category) => {
      const c = byCategory.get(category);
      return c
        ? {
            category,
            subscribed: c.subscribed,
            changedAt: c.changedAt.toISOString(),
            source: c.source,
          }
        : { category, subscribed: true };
    });
  }

  /**
   * Records the participant's choices (`false`: leaves the category), and for each category left
   * puts a `participant.unsubscribed` event into the rules. A transactional or unknown category
   * is refused (400 CATEGORY_TRANSACTIONAL, CATEGORY_UNKNOWN) and nothing is changed.
   */
  async setPreferences(
    programId: string,
    participantId: string,
    changes: Record<string, boolean>,
    source: ConsentSource,
  ): Promise<void> {
    const entries = Object.entries(changes);
    if (entries.length === 0)
      throw AppError.badRequest(
        'CATEGORIES_REQUIRED',
        'Name at least one category, e.g. { "categories": { "marketing": false } }.',
      );
    const known = new Set(await this.categoriesOf(programId));
    for (const [category, subscribed] of entries) {
      if (category === TRANSACTIONAL) throw transactionalRefused();
      if (!known.has(category)) throw unknownCategory(category, [...known]);
      if (typeof subscribed !== 'boolean')
        throw AppError.badRequest(
          'VALIDATION_FAILED',
          `categories.${category} must be true (subscribed) or false (left).`,
        );
    }
    await this.participants.get(programId, participantId);
    await this.apply(programId, participantId, entries, source);
  }

  /**
   * RFC 8058 one-click: the token's participant leaves the token's category, and nothing else.
   * 400 TOKEN_INVALID for a token that does not open or names nobody.
   */
  async oneClick(token: string): Promise<ConsentRef> {
    const ref = this.tokens.open(token);
    if (!ref || ref.category === TRANSACTIONAL) throw tokenInvalid();
    const participant = await this.participants.find(ref.programId, ref.participantId);
    if (!participant) throw tokenInvalid();
    // The category came on a message of the program: it may be left even if no key names it now.
    await this.apply(ref.programId, ref.participantId, [[ref.category, false]], 'one-click');
    return ref;
  }

  /**
   * The message an unsubscribe address (`u-<tag><mac>` local part) was sent with, or null when
   * the address is not one of ours or names nothing that may be left.
   */
  async messageOfMailto(localPart: string, manager?: EntityManager): Promise<Message | null> {
    const tag = this.tokens.readMailtoLocalPart(localPart);
    if (!tag) return null;
    const message = await this.history.findByReturnPath(tag, manager);
    if (!message?.participantId || message.category === TRANSACTIONAL) return null;
    return message;
  }

  /**
   * The recipient of `message` leaves its category (an email to its unsubscribe address, a
   * complaint), inside the caller's transaction. Answers what to run once that commits (the
   * event), or null when nothing changed.
   */
  async leaveByMessage(
    manager: EntityManager,
    message: Message,
    source: ConsentSource,
  ): Promise<(() => Promise<void>) | null> {
    if (!message.participantId || message.category === TRANSACTIONAL) return null;
    const ref = {
      programId: message.programId,
      participantId: message.participantId,
      category: message.category,
    };
    const at = new Date();
    if (!(await this.store.choose(manager, ref, false, source, at))) return null;
    await this.webhooks.emit(manager, participantUnsubscribed(ref, source, at));
    return () => this.announce(ref, source, at);
  }

  /** The category of one key of the program (404 TEMPLATE_NOT_FOUND for a key it does not have). */
  async templateCategory(program: Program, key: string): Promise<TemplateCategoryView> {
    await this.assertKey(program, key);
    return this.viewOf(key, await this.store.categoryOf(program.id, key));
  }

  /**
   * Gives a key another category (null: back to its default). A transactional email keeps its
   * own (422 CATEGORY_FIXED); no program key becomes transactional (400 CATEGORY_NOT_ALLOWED).
   */
  async setTemplateCategory(
    program: Program,
    key: string,
    category: string | null,
  ): Promise<TemplateCategoryView> {
    await this.assertKey(program, key);
    if (categoryIsFixed(key))
      throw AppError.unprocessable(
        'CATEGORY_FIXED',
        `"${key}" is transactional (a person asked for it or the law requires it): its category cannot change.`,
      );
    if (category === TRANSACTIONAL)
      throw AppError.badRequest(
        'CATEGORY_NOT_ALLOWED',
        'A program key cannot be transactional: transactional email is only what a person asked for or the law requires. Choose another category, such as "marketing" or "newsletter".',
      );
    if (category !== null && !CATEGORY_PATTERN.test(category))
      throw AppError.badRequest(
        'VALIDATION_FAILED',
        'category must be 1-32 of a-z, 0-9 and -, starting with a letter.',
      );
    if (category === null || category === defaultCategoryOf(key))
      await this.store.clearTemplateCategory(program.id, key);
    else await this.store.setTemplateCategory(program.id, key, category);
    return this.viewOf(key, category ?? defaultCategoryOf(key));
  }

  private viewOf(key: string, category: string): TemplateCategoryView {
    return { key, category, defaultCategory: defaultCategoryOf(key), fixed: categoryIsFixed(key) };
  }

  private async assertKey(program: Program, key: string): Promise<void> {
    if (isEmailTypeKey(key)) return;
    if ((await this.overrides.findByKey(program.id, key)).length > 0) return;
    throw new AppError(
      HttpStatus.NOT_FOUND,
      'TEMPLATE_NOT_FOUND',
      `There is no template "${key}"; create it with PUT /v1/templates/${key}/{locale} first.`,
    );
  }

  private async apply(
    programId: string,
    participantId: string,
    entries: Array<[string, boolean]>,
    source: ConsentSource,
  ): Promise<void> {
    const at = new Date();
    const left = await this.dataSource.transaction(async (manager) => {
      const changed: string[] = [];
      for (const [category, subscribed] of entries) {
        const ref = { programId, participantId, category };
        if ((await this.store.choose(manager, ref, subscribed, source, at)) && !subscribed) {
          changed.push(category);
          await this.webhooks.emit(manager, participantUnsubscribed(ref, source, at));
        }
      }
      return changed;
    });
    for (const category of left)
      await this.announce({ programId, participantId, category }, source, at);
  }

  /**
   * The participant.unsubscribed event, once per departure (its idempotency key names it). The
   * choice is already recorded: an event that cannot be written is logged, not undone.
   */
  private async announce(ref: ConsentRef, source: ConsentSource, at: Date): Promise<void> {
    try {
      const program = await this.programs.findById(ref.programId);
      const participant = await this.participants.find(ref.programId, ref.participantId);
      if (!program || !participant) return;
      await this.events.ingest(program, {
        type: UNSUBSCRIBED_EVENT,
        participant: { id: participant.id, email: participant.email },
        data: { category: ref.category, source, changedAt: at.toISOString() },
        occurredAt: at.toISOString(),
        idempotencyKey: `${UNSUBSCRIBED_EVENT}:${sha256Hex(
          JSON.stringify([ref.participantId, ref.category, at.toISOString()]),
        ).slice(0, 40)}`,
      });
    } catch (err) {
      this.logger.warn(
        { err, programId: ref.programId, category: ref.category },
        'the participant.unsubscribed event could not be written',
      );
    }
  }
}

/** rewards and marketing first, then the others by name; transactional never. */
function ordered(categories: string[]): string[] {
  const rest = [...new Set(categories)]
    .filter((c) => c !== TRANSACTIONAL && !(DEFAULT_CATEGORIES as readonly string[]).includes(c))
    .sort();
  return [...DEFAULT_CATEGORIES, ...rest];
}

const transactionalRefused = () =>
  AppError.badRequest(
    'CATEGORY_TRANSACTIONAL',
    'Transactional email (verification, password reset and changed, W-9 notice, payout reminders) cannot be unsubscribed from.',
  );

const unknownCategory = (category: string, known: string[]) =>
  AppError.badRequest(
    'CATEGORY_UNKNOWN',
    `The program has no category "${category}"; its categories are ${known.join(', ')}.`,
  );
