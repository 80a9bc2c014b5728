import { applyDecorators, Get, HttpCode, Post, UseGuards } from '@nestjs/common';
import { PageRateLimitGuard } from './page-rate-limit.guard';

// Every page a link opens, and every form on one, is under the public routes' rate limits.

/** A page a link opens. */
export const PageGet = (path: string) => applyDecorators(Get(path), UseGuards(PageRateLimitGuard));

/** A form a page posts, answered with a page: 200, not the 201 of a POST. */
export const PageForm = (path: string) =>
  applyDecorators(Post(path), HttpCode(200), UseGuards(PageRateLimitGuard));
