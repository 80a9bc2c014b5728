import type { Suppression } from '../suppressions/suppression.entity';

const key = (programId: string, id: string): string => `${programId}\n${id}`;

/**
 * What the notifier checks before it writes an email, read at once for a transaction about to
 * write many (a batch of events): the suppressions of the recipients' addresses, the categories
 * each participant left, and each template key's category once read. What was not read beforehand
 * answers `undefined`, and the notifier reads it as usual.
 */
export class RecipientChecks {
  private readonly categories = new Map<string, string>();

  constructor(
    private readonly suppressions: Map<string, Suppression | null>,
    private readonly left: Map<string, Set<string> | null>,
  ) {}

  /** The suppression of `email` in the program, null for none; undefined when not read. */
  suppressionOf(programId: string, email: string): Suppression | null | undefined {
    return this.suppressions.get(key(programId, email.toLowerCase()));
  }

  /** Whether the participant left `category`; undefined when not read. */
  hasLeft(programId: string, participantId: string, category: string): boolean | undefined {
    const left = this.left.get(key(programId, participantId));
    return left === undefined ? undefined : (left?.has(category) ?? false);
  }

  categoryOf(programId: string, templateKey: string): string | undefined {
    return this.categories.get(key(programId, templateKey));
  }

  rememberCategory(programId: string, templateKey: string, category: string): void {
    this.categories.set(key(programId, templateKey), category);
  }

  static key = key;
}
