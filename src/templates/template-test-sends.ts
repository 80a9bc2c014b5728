import { HttpStatus, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Like, MoreThan, Repository } from 'typeorm';
import { AppError } from '../common/errors/app-error';
import { AppConfig } from '../config/app.config';
import { Message } from '../messages/message.entity';
import { ParticipantsService } from '../participants/participants.service';
import type { Program } from '../programs/program.entity';

/** The dedupe key prefix of every template test send; the hourly count reads it back. */
export const TEST_SEND_KEY_PREFIX = 'template-test:';

const HOUR_MS = 60 * 60 * 1000;

/**
 * Who may get a test of a program's template, and how often: a test renders any content the
 * caller wrote, so it goes only to the program's own people (a participant's address, or the
 * program's alertEmail or replyTo), at most TEST_SENDS_PER_HOUR a program. The count is of the
 * program's outbox rows, so it holds across processes.
 */
@Injectable()
export class TemplateTestSends {
  constructor(
    @InjectRepository(Message) private readonly messages: Repository<Message>,
    private readonly participants: ParticipantsService,
    private readonly config: AppConfig,
  ) {}

  /** Throws 422 TEST_RECIPIENT_NOT_ALLOWED or 429 RATE_LIMITED unless `to` may get a test now. */
  async assertAllowed(program: Program, to: string): Promise<void> {
    await this.assertOwnAddress(program, to);
    await this.assertUnderHourlyLimit(program);
  }

  private async assertOwnAddress(program: Program, to: string): Promise<void> {
    const address = to.trim().toLowerCase();
    const own = [program.settings?.alertEmail, program.replyTo].filter(
      (a): a is string => typeof a === 'string' && a.trim().toLowerCase() === address,
    );
    if (own.length > 0 || (await this.participants.findByEmail(program.id, address))) return;
    throw new AppError(
      HttpStatus.UNPROCESSABLE_ENTITY,
      'TEST_RECIPIENT_NOT_ALLOWED',
      `Test emails go only to the program's own addresses, and ${to} is not one: it is no participant's address, nor the program's alertEmail or replyTo. Add it as a participant (PUT /v1/participants/{id} with "email": "${to}") or make it the alert address (PATCH /v1/program with {"settings": {"alertEmail": "${to}"}}), then send the test again.`,
      [
        {
          field: 'to',
          code: 'TEST_RECIPIENT_NOT_ALLOWED',
          message: `${to} is not an address of the program.`,
        },
      ],
    );
  }

  // A race of two sends at the last place can let one more through; a test send is a person at
  // a form, so the limit needs no lock.
  private async assertUnderHourlyLimit(program: Program): Promise<void> {
    const max = this.config.TEST_SENDS_PER_HOUR;
    const now = Date.now();
    const where = {
      programId: program.id,
      dedupeKey: Like(`${TEST_SEND_KEY_PREFIX}%`),
      createdAt: MoreThan(new Date(now - HOUR_MS)),
    };
    const count = await this.messages.countBy(where);
    if (count < max) return;
    // The next send is allowed once enough of the hour's sends are older than an hour.
    const [oldest] = await this.messages.find({
      select: { id: true, createdAt: true },
      where,
      order: { createdAt: 'ASC', id: 'ASC' },
      skip: count - max,
      take: 1,
    });
    const retryAfter = Math.max(
      1,
      Math.ceil(((oldest?.createdAt.getTime() ?? now) + HOUR_MS - now) / 1000),
    );
    throw new AppError(
      HttpStatus.TOO_MANY_REQUESTS,
      'RATE_LIMITED',
      `The program sent ${count} test emails in the last hour, the most allowed (TEST_SENDS_PER_HOUR is ${max}); try again in ${retryAfter} seconds.`,
      undefined,
      { 'Retry-After': String(retryAfter) },
    );
  }
}
