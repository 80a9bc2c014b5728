import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import type { Program } from '../programs/program.entity';
import type { Lang } from './i18n';

export const SESSION_COOKIE = 'rn_console';
export const PRE_SESSION_COOKIE = 'rn_console_pre';
export const LANG_COOKIE = 'rn_console_lang';
export const CONSOLE_PATH = '/console';
export const CSRF_FIELD = '_csrf';

/** Who is looking at a console page: the signed-in program (absent on the sign-in page) and the language. */
export interface ConsoleContext {
  lang: Lang;
  /** Goes into every form as a hidden field; on the sign-in page it is the pre-session token. */
  csrfToken: string;
  /** This page's address when it can be fetched again with GET (not after a POST). */
  path?: string;
  program?: Program;
}

export interface SignedInContext extends ConsoleContext {
  program: Program;
}

export interface ConsoleRequest extends Request {
  consoleLang?: Lang;
  consoleContext?: SignedInContext;
}

/** Cookies of a request; a malformed value is skipped rather than failing the request. */
export function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const raw of (header ?? '').split(';')) {
    const part = raw.trim();
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    try {
      // The first cookie of a name wins, as browsers send the most specific path first.
      if (!cookies.has(name)) cookies.set(name, decodeURIComponent(value));
    } catch {
      continue;
    }
  }
  return cookies;
}

export interface CookieOptions {
  maxAgeSeconds?: number;
  httpOnly?: boolean;
  secure: boolean;
}

/** A Set-Cookie value scoped to the console: SameSite=Strict, Path=/console. */
export function serializeCookie(name: string, value: string, options: CookieOptions): string {
  const parts = [`${name}=${encodeURIComponent(value)}`, `Path=${CONSOLE_PATH}`, 'SameSite=Strict'];
  if (options.maxAgeSeconds !== undefined)
    parts.push(`Max-Age=${Math.max(0, Math.floor(options.maxAgeSeconds))}`);
  if (options.httpOnly !== false) parts.push('HttpOnly');
  if (options.secure) parts.push('Secure');
  return parts.join('; ');
}

/** Appends a cookie without dropping the ones set earlier in the request. */
export function addCookie(
  res: { getHeader(name: string): unknown; setHeader(name: string, value: string[]): unknown },
  cookie: string,
): void {
  const existing = res.getHeader('Set-Cookie');
  const list = Array.isArray(existing)
    ? existing.map(String)
    : typeof existing === 'string'
      ? [existing]
      : [];
  res.setHeader('Set-Cookie', [...list, cookie]);
}

/** Only a console path of this site: never `//host` or another scheme, so sign-in cannot redirect away. */
export function safeConsolePath(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length > 500) return undefined;
  if (!/^\/console(\/[A-Za-z0-9._~\-/%]*)?(\?[A-Za-z0-9._~\-=&%+]*)?$/.test(value))
    return undefined;
  if (value.includes('//')) return undefined;
  return value;
}

/** The signed-in context a ConsoleSessionGuard put on the request. */
export const Ctx = createParamDecorator((_: unknown, ctx: ExecutionContext): SignedInContext => {
  const context = ctx.switchToHttp().getRequest<ConsoleRequest>().consoleContext;
  if (!context) throw new Error('Ctx used on a console route without ConsoleSessionGuard');
  return context;
});

/** One string field of a form body; repeated or non-string values count as missing. */
export function formField(body: unknown, name: string): string | undefined {
  if (!body || typeof body !== 'object' || !Object.prototype.hasOwnProperty.call(body, name))
    return undefined;
  const value = (body as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : undefined;
}
