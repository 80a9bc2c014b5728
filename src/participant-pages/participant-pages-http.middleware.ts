import { Injectable, NestMiddleware } from '@nestjs/common';
import express, { NextFunction, Request, RequestHandler, Response } from 'express';
import { setPageHeaders } from '../common/views/page-headers';
import { AppConfig } from '../config/app.config';
import { acceptedLang, translate } from './i18n';
import { messagePage } from './page-parts';
import { ParticipantPageViews } from './participant-page-views';

// Styles only from the pages' own stylesheet, no script at all, forms only to this service,
// never framed: nothing on these pages comes from anywhere else.
export const PARTICIPANT_PAGES_CSP = [
  "default-src 'none'",
  "style-src 'self'",
  "img-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

const FORM_LIMIT_BYTES = 16 * 1024;

/**
 * Everything under the participant pages: security headers, form bodies (the API itself takes
 * JSON only), and a same-origin check of every form: the token in a link is the credential,
 * and a form posted from another site is refused even if it carries one.
 */
@Injectable()
export class ParticipantPagesHttpMiddleware implements NestMiddleware {
  private readonly parseForm: RequestHandler;
  private readonly publicOrigin: string;

  constructor(
    config: AppConfig,
    private readonly views: ParticipantPageViews,
  ) {
    this.parseForm = express.urlencoded({
      extended: false,
      limit: FORM_LIMIT_BYTES,
      parameterLimit: 50,
    });
    this.publicOrigin = new URL(config.PUBLIC_BASE_URL).origin;
  }

  use(req: Request, res: Response, next: NextFunction): void {
    // The token is in the address: it goes to no other site, not even as a referrer.
    setPageHeaders(res, PARTICIPANT_PAGES_CSP, 'same-origin');
    res.setHeader('X-Robots-Tag', 'noindex, nofollow');
    res.setHeader('Vary', 'Accept-Language');
    if (req.method !== 'POST') return next();

    if (!this.sameOrigin(req)) return this.refuse(req, res, 403);
    this.parseForm(req, res, (err?: unknown) => {
      if (!err) return next();
      this.refuse(req, res, (err as { status?: number }).status === 413 ? 413 : 400);
    });
  }

  // A browser names the page a form came from in Origin ("null" from a page that hides it);
  // one without Origin (an old browser, a script) carries only the token, which is enough.
  private sameOrigin(req: Request): boolean {
    const origin = req.headers.origin;
    if (origin === undefined) return true;
    if (origin === this.publicOrigin) return true;
    try {
      return new URL(origin).host === req.headers.host;
    } catch {
      return false;
    }
  }

  private refuse(req: Request, res: Response, status: number): void {
    const lang = acceptedLang(req.headers['accept-language']) ?? 'en';
    this.views.send(
      res,
      messagePage({
        lang,
        title: 'error.form.title',
        paragraphs: [translate(lang, 'error.form.body')],
        status,
        tone: 'problem',
      }),
    );
  }
}
