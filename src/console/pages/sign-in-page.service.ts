import { Injectable } from '@nestjs/common';
import { generateToken, safeEqual } from '../../common/crypto/tokens';
import { AppConfig } from '../../config/app.config';
import { secureCookies } from '../console-http.middleware';
import {
  ConsoleContext,
  ConsoleRequest,
  CSRF_FIELD,
  formField,
  parseCookies,
  PRE_SESSION_COOKIE,
  safeConsolePath,
  serializeCookie,
  SESSION_COOKIE,
  SignedInContext,
} from '../console-request';
import { csrfRejected } from '../console-session.guard';
import { ConsoleSessionsService, SESSION_TTL_MS } from '../console-sessions.service';
import { noticeFromQuery, type FormState } from '../console-forms';
import type { PageResult } from '../console-views.service';
import { translate } from '../i18n';

const HOME = '/console/integrations';
const PRE_SESSION_SECONDS = 60 * 60;

/**
 * Signing in with the program's secret key, and out. Before there is a session the sign-in form
 * carries a token that must match a cookie (double submit), so no other site can sign a browser
 * into a program of its choosing.
 */
@Injectable()
export class SignInPageService {
  constructor(
    private readonly sessions: ConsoleSessionsService,
    private readonly config: AppConfig,
  ) {}

  show(
    req: ConsoleRequest,
    query: Record<string, unknown>,
  ): { ctx: ConsoleContext; result: PageResult } {
    const { ctx, cookies } = this.preSession(req);
    const form: FormState = {
      values: { next: safeConsolePath(query.next) ?? '' },
      errors: {},
      notice: noticeFromQuery(ctx.lang, query.notice),
    };
    return { ctx, result: { view: 'sign-in', title: 'signIn.title', model: { form }, cookies } };
  }

  async submit(
    req: ConsoleRequest,
    body: unknown,
  ): Promise<{ ctx: ConsoleContext; result: PageResult }> {
    const sent = formField(body, CSRF_FIELD);
    const expected = parseCookies(req.headers.cookie).get(PRE_SESSION_COOKIE);
    if (!sent || !expected || !safeEqual(sent, expected)) throw csrfRejected();
    const { ctx, cookies } = this.preSession(req);
    const key = (formField(body, 'secretKey') ?? '').trim();
    const next = safeConsolePath(formField(body, 'next')) ?? '';
    const program = key ? await this.sessions.programForSecretKey(key) : null;
    if (!program) {
      const reason = !key
        ? 'signIn.keyMissing'
        : key.startsWith('pk_')
          ? 'signIn.publishableKey'
          : 'signIn.keyInvalid';
      const form: FormState = {
        values: { next },
        errors: { secretKey: [translate(ctx.lang, reason)] },
      };
      return {
        ctx,
        result: { view: 'sign-in', title: 'signIn.title', status: 401, model: { form }, cookies },
      };
    }
    const session = await this.sessions.open(program);
    const secure = secureCookies(req, this.config);
    return {
      ctx,
      result: {
        redirect: next || HOME,
        cookies: [
          serializeCookie(SESSION_COOKIE, session.id, {
            maxAgeSeconds: SESSION_TTL_MS / 1000,
            secure,
          }),
          serializeCookie(PRE_SESSION_COOKIE, '', { maxAgeSeconds: 0, secure }),
        ],
      },
    };
  }

  async signOut(req: ConsoleRequest, _ctx: SignedInContext): Promise<PageResult> {
    await this.sessions.close(parseCookies(req.headers.cookie).get(SESSION_COOKIE) ?? '');
    return {
      redirect: '/console/sign-in?notice=signed-out',
      cookies: [
        serializeCookie(SESSION_COOKIE, '', {
          maxAgeSeconds: 0,
          secure: secureCookies(req, this.config),
        }),
      ],
    };
  }

  /** The pre-session token of this browser, made (and set as a cookie) on its first visit. */
  private preSession(req: ConsoleRequest): { ctx: ConsoleContext; cookies: string[] } {
    const existing = parseCookies(req.headers.cookie).get(PRE_SESSION_COOKIE);
    const token =
      existing && /^[A-Za-z0-9_-]{43}$/.test(existing) ? existing : generateToken('', 32);
    const cookies =
      token === existing
        ? []
        : [
            serializeCookie(PRE_SESSION_COOKIE, token, {
              maxAgeSeconds: PRE_SESSION_SECONDS,
              secure: secureCookies(req, this.config),
            }),
          ];
    return { ctx: { lang: req.consoleLang ?? 'en', csrfToken: token, path: req.path }, cookies };
  }
}
