import { Injectable } from '@nestjs/common';
import { TRANSACTIONAL } from '../consent/consent-categories';
import { ConsentService, type CategoryPreference } from '../consent/consent.service';
import { AppError } from '../common/errors/app-error';
import { ParticipantsService } from '../participants/participants.service';
import type { Program } from '../programs/program.entity';
import { ProgramsService } from '../programs/programs.service';
import { hasMessage, translate, type PageLang } from './i18n';
import { invalidLinkPage, langFor, maskEmail, pageProgram } from './page-parts';
import type { Page, Redirect } from './participant-page-views';

/** What the page says after a change: each POST redirects to the page with one of these. */
export const PREFERENCE_OUTCOMES = ['saved', 'left-one', 'left-all', 'nothing'] as const;
export type PreferenceOutcome = (typeof PREFERENCE_OUTCOMES)[number];

export type PreferenceAction = 'save' | 'leave-one' | 'leave-all';

export const preferencesPagePath = (token: string) => `/p/unsubscribe/${encodeURIComponent(token)}`;
export const preferencesFormPath = (token: string) => `/p/preferences/${encodeURIComponent(token)}`;

interface Owner {
  ref: { programId: string; participantId: string; category: string };
  program: Program;
  participant: { email: string; locale: string | null };
  preferences: CategoryPreference[];
}

/**
 * The page behind every unsubscribe link (GET of the List-Unsubscribe URL): each category of the
 * program with the participant's state, one button to leave the category the email came from,
 * and the choice of any or all of the rest. The token in the path is the only credential: it
 * names one participant of one program, sealed, so it cannot be turned into another's.
 */
@Injectable()
export class PreferencesPage {
  constructor(
    private readonly consent: ConsentService,
    private readonly programs: ProgramsService,
    private readonly participants: ParticipantsService,
  ) {}

  async show(
    token: string,
    outcome: string | undefined,
    acceptLanguage: string | undefined,
  ): Promise<Page> {
    const owner = await this.ownerOf(token);
    if (!owner) return invalidLinkPage(acceptLanguage);
    const { ref, program, participant, preferences } = owner;
    const lang = langFor(program, participant, acceptLanguage);
    const label = (category: string) => categoryLabel(lang, category);
    const from = preferences.find((p) => p.category === ref.category);
    const done = (PREFERENCE_OUTCOMES as readonly string[]).includes(outcome ?? '')
      ? (outcome as PreferenceOutcome)
      : undefined;
    return {
      view: 'preferences',
      lang,
      title: 'prefs.title',
      program: pageProgram(program),
      model: {
        notice: done && noticeOf(lang, done, label(ref.category)),
        intro: translate(lang, 'prefs.intro', {
          program: program.name,
          email: maskEmail(participant.email),
        }),
        from: from && {
          text: translate(lang, 'prefs.from', { category: label(from.category) }),
          canLeave: from.subscribed,
          leaveLabel: translate(lang, 'prefs.leaveOne', { category: label(from.category) }),
        },
        formAction: preferencesFormPath(token),
        categories: preferences.map((p) => ({
          name: p.category,
          label: label(p.category),
          subscribed: p.subscribed,
          hint: [
            categoryHint(lang, p.category, program.name),
            !p.subscribed && p.changedAt
              ? translate(lang, 'prefs.left', {
                  date: longDate(lang, p.changedAt, program.timezone),
                })
              : undefined,
          ]
            .filter(Boolean)
            .join(' '),
        })),
      },
    };
  }

  /** Applies the form, then sends the reader back to the page, which says what changed. */
  async save(
    token: string,
    action: PreferenceAction,
    subscribed: string[],
    acceptLanguage: string | undefined,
  ): Promise<Page | Redirect> {
    const owner = await this.ownerOf(token);
    if (!owner) return invalidLinkPage(acceptLanguage);
    const { ref, preferences } = owner;
    const wanted = (category: string): boolean => {
      if (action === 'leave-all') return false;
      if (action === 'leave-one') return category === ref.category ? false : current(category);
      return subscribed.includes(category);
    };
    const current = (category: string) =>
      preferences.find((p) => p.category === category)?.subscribed ?? true;
    // Only what changes: a category listed because the person left it once, and no key names
    // any more, is not sent back unchanged (the service would not know it).
    const changes: Record<string, boolean> = {};
    for (const p of preferences)
      if (wanted(p.category) !== p.subscribed) changes[p.category] = wanted(p.category);
    if (Object.keys(changes).length > 0)
      await this.consent.setPreferences(ref.programId, ref.participantId, changes, 'page');
    const outcome: PreferenceOutcome =
      Object.keys(changes).length === 0
        ? 'nothing'
        : action === 'leave-all'
          ? 'left-all'
          : action === 'leave-one'
            ? 'left-one'
            : 'saved';
    return { redirect: `${preferencesPagePath(token)}?done=${outcome}` };
  }

  private async ownerOf(token: string): Promise<Owner | null> {
    const ref = token.length <= 1024 ? this.consent.readToken(token) : null;
    if (!ref || ref.category === TRANSACTIONAL) return null;
    const program = await this.programs.findById(ref.programId);
    if (!program) return null;
    const participant = await this.participants.find(ref.programId, ref.participantId);
    if (!participant) return null;
    try {
      const preferences = await this.consent.preferences(ref.programId, ref.participantId);
      return { ref, program, participant, preferences };
    } catch (err) {
      // Gone between the two reads.
      if (err instanceof AppError && err.getStatus() === 404) return null;
      throw err;
    }
  }

  /** The program a token belongs to, for the per-program rate limit. */
  programIdOf(token: string | undefined): string | null {
    if (!token || token.length > 1024) return null;
    return this.consent.readToken(token)?.programId ?? null;
  }
}

function categoryLabel(lang: PageLang, category: string): string {
  const key = `category.${category}`;
  if (hasMessage(key)) return translate(lang, key);
  // A program's own category reads as its name: `product-news` → "Product news".
  const words = category.replace(/-/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function categoryHint(lang: PageLang, category: string, program: string): string | undefined {
  const key = `category.${category}.hint`;
  return hasMessage(key) ? translate(lang, key, { program }) : undefined;
}

function noticeOf(lang: PageLang, outcome: PreferenceOutcome, category: string): string {
  if (outcome === 'left-one') return translate(lang, 'prefs.leftOne', { category });
  if (outcome === 'left-all') return translate(lang, 'prefs.leftAll');
  if (outcome === 'nothing') return translate(lang, 'prefs.nothing');
  return translate(lang, 'prefs.saved');
}

function longDate(lang: PageLang, iso: string, timeZone: string): string {
  try {
    return new Intl.DateTimeFormat(lang, { dateStyle: 'long', timeZone }).format(new Date(iso));
  } catch {
    return new Intl.DateTimeFormat(lang, { dateStyle: 'long' }).format(new Date(iso));
  }
}
