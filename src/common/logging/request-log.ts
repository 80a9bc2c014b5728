import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { randomUUID } from 'node:crypto';
import type { AppLogger } from './logging.module';

const GIVEN_ID = /^[\w.-]{1,64}$/;
// Probes and scrapes would drown the requests that matter.
const QUIET = new Set(['/health', '/metrics']);
// Query parameters that carry one-time credentials (an OAuth callback's code and state, a link's
// token): the line keeps their names, not their values.
const SECRET_PARAMS = /([?&](?:code|state|token|access_token|refresh_token)=)[^&#]*/gi;
// Path segments that are credentials (an unsubscribe link's token) or worth money (a pool's code
// being deleted: an unused coupon).
const SECRET_SEGMENTS = /(\/p\/unsubscribe\/|\/v1\/code-pools\/[^/?#]+\/codes\/)[^/?#]+/gi;

/** The request's URL as a log line may show it: the names of its credentials, not their values. */
export const loggableUrl = (url: string): string =>
  url.replace(SECRET_PARAMS, '$1[redacted]').replace(SECRET_SEGMENTS, '$1[redacted]');

/**
 * Gives every request an id (X-Request-Id, taken from the request when well formed, echoed in the
 * answer) and logs one short line when it ends: no headers, so credentials never reach it. The
 * line is built only then: a child logger per request, with its bindings serialized and redacted
 * up front, cost more CPU than a small request.
 */
export function requestLog(logger: AppLogger): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const given = req.headers['x-request-id'];
    const id = typeof given === 'string' && GIVEN_ID.test(given) ? given : randomUUID();
    res.setHeader('X-Request-Id', id);
    const { method, url } = req;
    if (QUIET.has(url)) return next();
    const started = performance.now();
    const done = () => {
      res.removeListener('finish', done);
      res.removeListener('close', done);
      const line = {
        req: {
          id,
          method,
          url: loggableUrl(url),
          // The client's address as TRUST_PROXY lets the proxies in front say it.
          remoteAddress: req.ip,
          userAgent: req.headers['user-agent'],
        },
        res: { statusCode: res.statusCode },
        responseTime: Math.round(performance.now() - started),
      };
      if (!res.writableFinished) logger.warn(line, 'request aborted');
      else if (res.statusCode >= 500) logger.error(line, 'request errored');
      else logger.info(line, 'request completed');
    };
    res.on('finish', done);
    res.on('close', done);
    next();
  };
}
