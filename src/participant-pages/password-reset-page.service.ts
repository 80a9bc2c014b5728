import { Injectable } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { EmailRequestDto, PasswordResetConfirmDto } from '../participant-auth/dto/public.dto';
import { PasswordResetService } from '../participant-auth/password-reset.service';
import type { Program } from '../programs/program.entity';
import { ProgramsService } from '../programs/programs.service';
import { translate, type MessageKey, type PageLang } from './i18n';
import { isTokenInvalid, OneTimeLinks, type ResolvedLink } from './one-time-links';
import {
  formField,
  invalidLinkPage,
  langFor,
  maskEmail,
  messagePage,
  pageProgram,
} from './page-parts';
import type { Page } from './participant-page-views';

export const RESET_RESEND_PATH = '/p/reset-password/resend';

// Program ids are UUIDs; anything else names no program and is not looked up.
const PROGRAM_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The password reset pages: the form behind the reset link (the API's rules for a password,
 * then a confirmation), an explanation with a new link for one that no longer works, and the
 * form that asks for a link (where the password-changed email points).
 */
@Injectable()
export class PasswordResetPage {
  constructor(
    private readonly links: OneTimeLinks,
    private readonly passwordReset: PasswordResetService,
    private readonly programs: ProgramsService,
  ) {}

  async show(
    token: string | undefined,
    programId: string | undefined,
    acceptLanguage: string | undefined,
  ): Promise<Page> {
    if (token !== undefined) {
      const link = await this.links.resolve('password-reset', token);
      if (!link) return invalidLinkPage(acceptLanguage);
      if (link.state !== 'valid') return this.explain(link, acceptLanguage);
      return this.form(link, acceptLanguage);
    }
    const program = await this.programOf(programId);
    if (!program) return invalidLinkPage(acceptLanguage);
    return this.requestForm(program, acceptLanguage);
  }

  /** Sets the password the form sent, checked by the same rules as the API. */
  async submit(body: unknown, acceptLanguage: string | undefined): Promise<Page> {
    const token = formField(body, 'token');
    const password = formField(body, 'password') ?? '';
    const confirm = formField(body, 'confirm') ?? '';
    let link = await this.links.resolve('password-reset', token);
    if (!link) return invalidLinkPage(acceptLanguage);
    if (link.state !== 'valid') return this.explain(link, acceptLanguage);

    const lang = langFor(link.program, link.participant, acceptLanguage);
    const errors: { password?: string; confirm?: string } = {};
    const problems = validateSync(
      plainToInstance(PasswordResetConfirmDto, { token: link.token, password }),
    );
    if (problems.some((p) => p.property === 'password'))
      errors.password = translate(
        lang,
        password.length < 8 ? 'reset.form.tooShort' : 'reset.form.tooLong',
      );
    else if (confirm !== password) errors.confirm = translate(lang, 'reset.form.mismatch');
    if (errors.password || errors.confirm) return this.form(link, acceptLanguage, errors);

    try {
      await this.passwordReset.confirm(link.program, link.token, password);
    } catch (err) {
      if (!isTokenInvalid(err)) throw err;
      link = await this.links.resolve('password-reset', token);
      return link ? this.explain(link, acceptLanguage) : invalidLinkPage(acceptLanguage);
    }
    return this.message(link, lang, 'reset.done', 200);
  }

  /** Sends a new reset link to the participant's address now, within the hourly allowance. */
  async resend(token: string | undefined, acceptLanguage: string | undefined): Promise<Page> {
    const link = await this.links.resolve('password-reset', token);
    if (!link) return invalidLinkPage(acceptLanguage);
    this.passwordReset.request(link.program, link.participant.email);
    return this.message(
      link,
      langFor(link.program, link.participant, acceptLanguage),
      'reset.sent',
      200,
    );
  }

  /** Asks for a reset link by address: the same answer whether or not the address has an account. */
  async request(body: unknown, acceptLanguage: string | undefined): Promise<Page> {
    const program = await this.programOf(formField(body, 'program'));
    if (!program) return invalidLinkPage(acceptLanguage);
    const email = (formField(body, 'email') ?? '').trim();
    const problems = validateSync(plainToInstance(EmailRequestDto, { email }));
    const lang = langFor(program, null, acceptLanguage);
    if (problems.length > 0)
      return this.requestForm(
        program,
        acceptLanguage,
        email,
        translate(lang, 'reset.request.invalidEmail'),
      );
    this.passwordReset.request(program, email);
    return messagePage({
      lang,
      title: 'reset.request.sent.title',
      paragraphs: [translate(lang, 'reset.request.sent.body', { program: program.name, email })],
      program: pageProgram(program),
      tone: 'ok',
    });
  }

  private async programOf(id: string | undefined): Promise<Program | null> {
    return id && PROGRAM_ID.test(id) ? this.programs.findById(id) : null;
  }

  private form(
    link: ResolvedLink,
    acceptLanguage: string | undefined,
    errors: { password?: string; confirm?: string } = {},
  ): Page {
    const lang = langFor(link.program, link.participant, acceptLanguage);
    const hasErrors = Boolean(errors.password || errors.confirm);
    return {
      view: 'reset-form',
      lang,
      title: 'reset.form.title',
      program: pageProgram(link.program),
      status: hasErrors ? 400 : 200,
      model: {
        intro: translate(lang, 'reset.form.intro', {
          program: link.program.name,
          email: maskEmail(link.participant.email),
        }),
        token: link.token,
        username: link.participant.email,
        errors,
        hasErrors,
      },
    };
  }

  private requestForm(
    program: Program,
    acceptLanguage: string | undefined,
    email = '',
    emailError?: string,
  ): Page {
    const lang = langFor(program, null, acceptLanguage);
    return {
      view: 'reset-request',
      lang,
      title: 'reset.request.title',
      program: pageProgram(program),
      status: emailError ? 400 : 200,
      model: {
        intro: translate(lang, 'reset.request.intro', { program: program.name }),
        programId: program.id,
        email,
        errors: { email: emailError },
        hasErrors: Boolean(emailError),
      },
    };
  }

  private explain(link: ResolvedLink, acceptLanguage: string | undefined): Page {
    const lang = langFor(link.program, link.participant, acceptLanguage);
    const kind = `reset.${link.state as 'expired' | 'used' | 'changed'}` as const;
    return this.message(link, lang, kind, 410, {
      url: RESET_RESEND_PATH,
      token: link.token,
      label: translate(lang, 'reset.resend'),
    });
  }

  private message(
    link: ResolvedLink,
    lang: PageLang,
    kind: 'reset.done' | 'reset.sent' | 'reset.expired' | 'reset.used' | 'reset.changed',
    status: number,
    action?: { url: string; token: string; label: string },
  ): Page {
    return messagePage({
      lang,
      title: `${kind}.title` as MessageKey,
      paragraphs: [
        translate(lang, `${kind}.body`, {
          program: link.program.name,
          email: maskEmail(link.participant.email),
        }),
      ],
      program: pageProgram(link.program),
      status,
      tone: kind === 'reset.done' ? 'ok' : action ? 'problem' : 'info',
      action,
    });
  }
}
