import 'reflect-metadata';
import { Body, Controller, Get, HttpCode, Module, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { createValidationPipe } from '../../src/common/http/validation';
import { findEventDto } from './event-dto';

// The ingest baseline: the same adapter (platform-express), the same ValidationPipe and the same
// body class as POST /v1/events, and nothing else: no auth, no storage, no queue, no logs.

const { dto, source } = findEventDto(resolve(__dirname, '..', '..'));

@Controller()
class BaselineController {
  @Post('v1/events')
  @HttpCode(202)
  ingest(@Body() _body: object): { id: string; status: string } {
    return { id: randomUUID(), status: 'queued' };
  }

  @Get('health')
  health(): { status: string } {
    return { status: 'ok' };
  }
}

// The pipe reads the body's class from this metadata; point it at the real events DTO.
Reflect.defineMetadata('design:paramtypes', [dto], BaselineController.prototype, 'ingest');

@Module({ controllers: [BaselineController] })
class BaselineModule {}

async function main(): Promise<void> {
  const app = await NestFactory.create<NestExpressApplication>(BaselineModule, { logger: false });
  app.useGlobalPipes(createValidationPipe());
  app.getHttpAdapter().getInstance().disable('x-powered-by');
  app.enableShutdownHooks();
  await app.listen(Number(process.env.PORT), '127.0.0.1');
  process.stdout.write(`baseline listening; body class: ${source}\n`);
}

void main();
