import { Injectable, NestMiddleware } from '@nestjs/common';
import express, { NextFunction, RequestHandler, Response } from 'express';
import { setPageHeaders } from '../common/views/page-headers';
import { AppConfig } from '../config/app.config';
import {
  addCookie,
  ConsoleRequest,
  LANG_COOKIE,
  parseCookies,
  serializeCookie,
} from './console-request';
import { isLang, negotiateLang } from './i18n';

// Scripts and styles only from the console's own static files: nothing inline can run.
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

// The rendered email in the preview frame: its own inline styles and remote images, no scripts
// (sandbox without allow-scripts), and framed only by the console itself. Same-origin, so the
// console can read how tall the email is and size the frame to it; without scripts, that is
// all the origin gives the frame.
export const PREVIEW_CSP = [
  'sandbox allow-same-origin',
  "default-src 'none'",
  "style-src 'unsafe-inline'",
  'img-src https: data:',
  'font-src https: data:',
  "frame-ancestors 'self'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

const ONE_YEAR_SECONDS = 365 * 24 * 60 * 60;

export function secureCookies(
  req: { secure: boolean },
  config: Pick<AppConfig, 'PUBLIC_BASE_URL'>,
): boolean {
  return req.secure || config.PUBLIC_BASE_URL.startsWith('https:');
}

/**
 * Everything under /console: security headers, the reader's language, and form bodies
 * (the API itself takes JSON only). Worker processes serve no console.
 */
@Injectable()
export class ConsoleHttpMiddleware implements NestMiddleware {
  private readonly parseForm: RequestHandler;

  constructor(private readonly config: AppConfig) {
    this.parseForm = express.urlencoded({
      extended: false,
      limit: config.BODY_LIMIT_BYTES,
      parameterLimit: 200,
    });
  }

  use(req: ConsoleRequest, res: Response, next: NextFunction): void {
    setPageHeaders(res, CONSOLE_CSP, 'no-referrer');

    const asked = req.query.lang;
    if (req.method === 'GET' && isLang(asked)) {
      // The switcher's links set the preference and come back to the same page without it.
      addCookie(
        res,
        serializeCookie(LANG_COOKIE, asked, {
          maxAgeSeconds: ONE_YEAR_SECONDS,
          secure: secureCookies(req, this.config),
        }),
      );
      const url = new URL(req.originalUrl, 'http://console.invalid');
      url.searchParams.delete('lang');
      // Only ever back into the console: a path that normalises to `//host` would leave it.
      const path = url.pathname.replace(/^\/+/, '/');
      res.redirect(303, path.startsWith('/console') ? path + url.search : '/console');
      return;
    }
    const saved = parseCookies(req.headers.cookie).get(LANG_COOKIE);
    req.consoleLang = isLang(saved) ? saved : negotiateLang(req.headers['accept-language']);
    res.setHeader('Content-Language', req.consoleLang);
    res.setHeader('Vary', 'Accept-Language, Cookie');

    this.parseForm(req, res, (err?: unknown) => {
      if (!err) return next();
      const tooLarge = (err as { status?: number }).status === 413;
      res
        .status(tooLarge ? 413 : 400)
        .type('text/plain')
        .send(
          tooLarge
            ? 'The form is larger than this server accepts; send less text.'
            : 'The form could not be read; reload the page and try again.',
        );
    });
  }
}
