import { Injectable } from '@nestjs/common';
import { VerificationService } from '../participant-auth/verification.service';
import { translate, type MessageKey } from './i18n';
import { isTokenInvalid, OneTimeLinks, type ResolvedLink } from './one-time-links';
import { invalidLinkPage, langFor, maskEmail, messagePage, pageProgram } from './page-parts';
import type { Page } from './participant-page-views';

export const VERIFY_RESEND_PATH = '/p/verify/resend';

/**
 * The landing of the verification link: confirms the address on arrival and says so, or
 * explains a link that is expired, used or sent to an old address, with a button for a new one.
 */
@Injectable()
export class VerificationPage {
  constructor(
    private readonly links: OneTimeLinks,
    private readonly verification: VerificationService,
  ) {}

  async show(token: string | undefined, acceptLanguage: string | undefined): Promise<Page> {
    let link = await this.links.resolve('verification', token);
    if (!link) return invalidLinkPage(acceptLanguage);
    if (link.state === 'valid') {
      try {
        await this.verification.confirm(link.program, link.token);
        return this.page(link, acceptLanguage, 'verify.done', 200);
      } catch (err) {
        // Used up a moment ago (a second tab, a mail scanner): say what it is now.
        if (!isTokenInvalid(err)) throw err;
        link = await this.links.resolve('verification', token);
        if (!link) return invalidLinkPage(acceptLanguage);
      }
    }
    if (alreadyVerified(link)) return this.page(link, acceptLanguage, 'verify.already', 200);
    return this.page(
      link,
      acceptLanguage,
      `verify.${link.state as 'expired' | 'used' | 'changed'}`,
      410,
    );
  }

  /** Sends a new link to the participant's address now, within the hourly allowance of emails. */
  async resend(token: string | undefined, acceptLanguage: string | undefined): Promise<Page> {
    const link = await this.links.resolve('verification', token);
    if (!link) return invalidLinkPage(acceptLanguage);
    if (alreadyVerified(link)) return this.page(link, acceptLanguage, 'verify.already', 200);
    this.verification.request(link.program, link.participant.email);
    return this.page(link, acceptLanguage, 'verify.sent', 200);
  }

  private page(
    link: ResolvedLink,
    acceptLanguage: string | undefined,
    kind:
      | 'verify.done'
      | 'verify.already'
      | 'verify.expired'
      | 'verify.used'
      | 'verify.changed'
      | 'verify.sent',
    status: number,
  ): Page {
    const lang = langFor(link.program, link.participant, acceptLanguage);
    const params = {
      program: link.program.name,
      email: maskEmail(link.participant.email),
    };
    const offersNew =
      kind === 'verify.expired' || kind === 'verify.used' || kind === 'verify.changed';
    return messagePage({
      lang,
      title: `${kind}.title` as MessageKey,
      paragraphs: [translate(lang, `${kind}.body`, params)],
      program: pageProgram(link.program),
      status,
      tone:
        kind === 'verify.done' || kind === 'verify.already' ? 'ok' : offersNew ? 'problem' : 'info',
      action: offersNew
        ? { url: VERIFY_RESEND_PATH, token: link.token, label: translate(lang, 'verify.resend') }
        : undefined,
    });
  }
}

// Confirmed since (by this link or a newer one), and still at the address the link went to.
function alreadyVerified(link: ResolvedLink): boolean {
  return link.state !== 'changed' && link.participant.emailVerifiedAt !== null;
}
