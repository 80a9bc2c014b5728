import type { Response } from 'express';

/**
 * The headers of every server-rendered page (the console, the participant pages): its own
 * content policy and referrer policy, never framed or sniffed, its own window, never cached.
 */
export function setPageHeaders(res: Response, csp: string, referrerPolicy: string): void {
  res.setHeader('Content-Security-Policy', csp);
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', referrerPolicy);
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Cache-Control', 'no-store');
}
