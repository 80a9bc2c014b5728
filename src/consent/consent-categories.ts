import { emailCategoryOf } from '../templates/renderer';

/** What every program has besides the categories its templates name. */
export const DEFAULT_CATEGORIES = ['rewards', 'marketing'] as const;
export const TRANSACTIONAL = 'transactional';

/** A category a program may name: lower-case letters, digits and hyphens, at most 32. */
export const CATEGORY_PATTERN = /^[a-z][a-z0-9-]{0,31}$/;

/**
 * The category a template key has before a program names another: transactional for the emails
 * a person asked for or the law requires, `rewards` for reward-earned, `marketing` for the rest.
 */
export function defaultCategoryOf(key: string): string {
  return emailCategoryOf(key);
}

/** Whether a program may give `key` another category: never a transactional email's. */
export function categoryIsFixed(key: string): boolean {
  return defaultCategoryOf(key) === TRANSACTIONAL;
}

/** What a message held back because its recipient left its category records as its error. */
export function unsubscribedMessage(category: string): string {
  return (
    `Not sent: the recipient left "${category}" email (unsubscribed). ` +
    'They get it again once they subscribe to it again (their preference page, or PUT /v1/participants/:id/preferences).'
  );
}
