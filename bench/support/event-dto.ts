import 'reflect-metadata';
import { METHOD_METADATA, PATH_METADATA, ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import { RequestMethod } from '@nestjs/common';
import { Type } from 'class-transformer';
import { IsISO8601, IsObject, IsOptional, IsString, Length, ValidateNested } from 'class-validator';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

// Used only while src/events does not exist yet: the body of POST /v1/events as API.md states it.
class StandInPersonDto {
  @IsString() @Length(1, 200) id: string;
  @IsOptional() @IsString() email?: string;
  @IsOptional() @IsString() firstName?: string;
  @IsOptional() @IsString() lastName?: string;
  @IsOptional() @IsString() locale?: string;
  @IsOptional() @IsString() country?: string;
}

class StandInEventDto {
  @IsString() @Length(1, 100) type: string;
  @ValidateNested() @Type(() => StandInPersonDto) participant: StandInPersonDto;
  @IsOptional() @ValidateNested() @Type(() => StandInPersonDto) referrer?: StandInPersonDto;
  @IsOptional() @IsObject() data?: Record<string, unknown>;
  @IsOptional() @IsISO8601() occurredAt?: string;
  @IsOptional() @IsString() @Length(1, 200) idempotencyKey?: string;
}

export interface EventDtoChoice {
  dto: new () => object;
  /** Where it came from, for the report. */
  source: string;
}

function routePath(value: unknown): string {
  const first = Array.isArray(value) ? value[0] : value;
  return typeof first === 'string' ? first.replace(/^\/+|\/+$/g, '') : '';
}

/**
 * The class POST /v1/events validates its body with, read from the real controller's route
 * metadata, so the baseline validates exactly what the service does.
 */
export function findEventDto(rootDir: string): EventDtoChoice {
  const dir = join(rootDir, 'src', 'events');
  // Compiled beside the service build, this file reads the compiled controllers.
  const suffix = __filename.endsWith('.js') ? '.controller.js' : '.controller.ts';
  const files = existsSync(dir)
    ? readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith(suffix))
    : [];
  for (const file of files) {
    // Loaded by path at run time: the module may not exist while the harness is type-checked.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const exports = require(join(dir, file)) as Record<string, unknown>;
    for (const [name, value] of Object.entries(exports)) {
      if (typeof value !== 'function') continue;
      const base = routePath(Reflect.getMetadata(PATH_METADATA, value));
      for (const method of Object.getOwnPropertyNames((value as { prototype: object }).prototype)) {
        const handler = (value as { prototype: Record<string, unknown> }).prototype[method];
        if (
          typeof handler !== 'function' ||
          Reflect.getMetadata(METHOD_METADATA, handler) !== RequestMethod.POST
        )
          continue;
        const full = [base, routePath(Reflect.getMetadata(PATH_METADATA, handler))]
          .filter(Boolean)
          .join('/');
        if (full !== 'v1/events' && full !== 'events') continue;
        const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, value, method) ?? {}) as Record<
          string,
          { index: number }
        >;
        const body = Object.entries(args).find(
          ([key]) => key.split(':')[0] === String(RouteParamtypes.BODY),
        );
        const types = Reflect.getMetadata(
          'design:paramtypes',
          (value as { prototype: object }).prototype,
          method,
        ) as unknown[] | undefined;
        const dto = body && types?.[body[1].index];
        if (typeof dto === 'function' && dto !== Object) {
          return {
            dto: dto as new () => object,
            source: `${(dto as { name: string }).name} (the body of ${name}.${method} in src/events/${file.replace(/\.js$/, '.ts')})`,
          };
        }
      }
    }
  }
  return {
    dto: StandInEventDto,
    source: 'a stand-in DTO written from API.md (src/events has no POST /v1/events handler yet)',
  };
}
