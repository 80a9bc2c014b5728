import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { parse } from 'csv-parse/sync';
import { EntityManager, Repository } from 'typeorm';
import { AppError } from '../common/errors/app-error';
import { EntityQueries } from '../database/entity-queries';
import { isUniqueViolation } from '../common/errors/database-errors';
import { PARTICIPANT_ID, PARTICIPANT_ID_MESSAGE, UpsertParticipantDto } from './dto/participant.dto';
import { Participant } from './participant.entity';

export interface ParticipantView {
  id: string;
  email: string;
  firstName: string | null;
  lastName: string | null;
  locale: string | null;
  country: string | null;
  taxFormOnFile: boolean;
  payoutDetailsOnFile: boolean;
  emailVerified: boolean;
  customFields: Record<string, unknown> | null;
  createdAt: string;
  updatedAt: string;
}

export function toParticipantView(p: Participant): ParticipantView {
  return {
    id: p.id,
    email: p.email,
    firstName: p.firstName,
    lastName: p.lastName,
    locale: p.locale,
    country: p.country,
    taxFormOnFile: p.taxFormOnFile,
    payoutDetailsOnFile: p.payoutDetailsOnFile,
    emailVerified: !!p.emailVerifiedAt,
    customFields: p.customFields,
    createdAt: p.createdAt.toISOString(),
    updatedAt: p.updatedAt.toISOString(),
  };
}

export type ParticipantFields = Partial<UpsertParticipantDto>;

const IMPORT_COLUMNS = ['id', 'email', 'firstName', 'lastName', 'locale', 'country'];
const MAX_IMPORT_ROWS = 10000;

@Injectable()
export class ParticipantsService {
  private readonly queries: EntityQueries<Participant>;

  constructor(@InjectRepository(Participant) private readonly participants: Repository<Participant>) {
    this.queries = new EntityQueries(participants);
  }

  assertId(id: string): void {
    if (!PARTICIPANT_ID.test(id)) throw AppError.badRequest('INVALID_PARTICIPANT_ID', `"${id.slice(0, 50)}" is not a valid participant id: ${PARTICIPANT_ID_MESSAGE}.`);
  }

  async get(programId: string, id: string): Promise<Participant> {
    const found = await this.participants.findOneBy({ programId, id });
    if (!found) throw AppError.notFound('Participant', id);
    return found;
  }

  async find(programId: string, id: string, manager?: EntityManager): Promise<Participant | null> {
    return this.queries.findOne({ programId, id }, manager);
  }

  async findByEmail(programId: string, email: string): Promise<Participant | null> {
    return this.participants.findOne({ where: { programId, emailLower: email.trim().toLowerCase() }, order: { createdAt: 'ASC' } });
  }

  /**
   * Creates or updates one participant. Only the given fields change. `email` is needed to
   * create one. Safe under concurrency: a lost insert race becomes an update.
   */
  async upsert(
    programId: string,
    id: string,
    fields: ParticipantFields,
    manager?: EntityManager,
  ): Promise<{ participant: Participant; created: boolean }> {
    const repo = manager?.getRepository(Participant) ?? this.participants;
    const now = new Date();
    const patch = this.patchOf(fields);
    const existing = await this.queries.findOne({ programId, id }, manager);
    if (existing) {
      // Events repeat the same person again and again: an update that changes nothing is skipped.
      const changes = changesOf(existing, patch);
      if (!changes) return { participant: existing, created: false };
      await this.queries.update({ ...changes, updatedAt: now }, { programId, id }, manager);
      return { participant: repo.merge(existing, changes, { updatedAt: now }), created: false };
    }
    if (!fields.email) {
      throw AppError.badRequest('PARTICIPANT_EMAIL_REQUIRED', `Participant "${id}" does not exist yet; send its email to create it.`);
    }
    const participant = repo.create({
      programId,
      id,
      email: fields.email,
      emailLower: fields.email.toLowerCase(),
      firstName: null,
      lastName: null,
      locale: null,
      country: null,
      taxFormOnFile: false,
      payoutDetailsOnFile: false,
      customFields: null,
      emailVerifiedAt: null,
      passwordHash: null,
      ...patch,
      createdAt: now,
      updatedAt: now,
    });
    try {
      await this.queries.insert(participant, { manager });
      return { participant, created: true };
    } catch (err) {
      if (!isUniqueViolation(err) || manager) throw err;
      return this.upsert(programId, id, fields);
    }
  }

  async setEmailVerified(programId: string, id: string, at: Date): Promise<void> {
    await this.participants.update({ programId, id }, { emailVerifiedAt: at, updatedAt: at });
  }

  async setPasswordHash(programId: string, id: string, hash: string): Promise<void> {
    await this.participants.update({ programId, id }, { passwordHash: hash, updatedAt: new Date() });
  }

  /** Imports a CSV with a header row; each bad row is reported and the others still land. */
  async importCsv(programId: string, csv: string) {
    if (typeof csv !== 'string' || csv.trim() === '') {
      throw AppError.badRequest('CSV_EMPTY', 'Send the CSV as the request body with Content-Type: text/csv, starting with a header row (id,email,...).');
    }
    let rows: Record<string, string>[];
    try {
      rows = parse(csv, { columns: true, skip_empty_lines: true, trim: true, bom: true, relax_column_count: false });
    } catch (err) {
      throw AppError.badRequest('CSV_INVALID', `The CSV could not be read: ${(err as Error).message}`);
    }
    const header = Object.keys(rows[0] ?? {});
    const unknown = header.filter((h) => !IMPORT_COLUMNS.includes(h));
    if (!header.includes('id') || !header.includes('email') || unknown.length > 0) {
      throw AppError.badRequest(
        'CSV_HEADER_INVALID',
        `The header row must name the columns id and email, and may add ${IMPORT_COLUMNS.slice(2).join(', ')}` +
          (unknown.length ? `; unknown column(s): ${unknown.join(', ')}.` : '.'),
      );
    }
    if (rows.length > MAX_IMPORT_ROWS) {
      throw AppError.badRequest('CSV_TOO_MANY_ROWS', `Import at most ${MAX_IMPORT_ROWS} rows at a time; this file has ${rows.length}.`);
    }
    const result = { created: 0, updated: 0, failed: 0, errors: [] as Array<{ row: number; id?: string; field?: string; message: string }> };
    for (const [i, row] of rows.entries()) {
      const rowNumber = i + 2; // the header is row 1
      const { id, ...rest } = row;
      const fields = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== '' && v !== undefined));
      if (!id || !PARTICIPANT_ID.test(id)) {
        result.failed++;
        result.errors.push({ row: rowNumber, id, field: 'id', message: PARTICIPANT_ID_MESSAGE });
        continue;
      }
      const dto = plainToInstance(UpsertParticipantDto, fields);
      const problems = validateSync(dto, { whitelist: true, forbidNonWhitelisted: true });
      if (problems.length > 0) {
        result.failed++;
        for (const p of problems) {
          result.errors.push({ row: rowNumber, id, field: p.property, message: Object.values(p.constraints ?? {}).join('; ') });
        }
        continue;
      }
      const { created } = await this.upsert(programId, id, dto);
      if (created) result.created++;
      else result.updated++;
    }
    return result;
  }

  private patchOf(fields: ParticipantFields): Partial<Participant> {
    // null clears the optional fields; the email and the on-file flags always have a value.
    const nulls = (['email', 'taxFormOnFile', 'payoutDetailsOnFile'] as const).filter((key) => fields[key] === null);
    if (nulls.length) {
      throw AppError.badRequest(
        'VALIDATION_FAILED',
        `The request has invalid fields: ${nulls.join(', ')}.`,
        nulls.map((field) => ({ field, code: 'isDefined', message: `${field} cannot be null; leave it out to keep the current value.` })),
      );
    }
    const patch: Partial<Participant> = {};
    for (const key of ['firstName', 'lastName', 'locale', 'country', 'taxFormOnFile', 'payoutDetailsOnFile', 'customFields'] as const) {
      if (fields[key] !== undefined) (patch as Record<string, unknown>)[key] = fields[key];
    }
    if (fields.email !== undefined) {
      patch.email = fields.email;
      patch.emailLower = fields.email.toLowerCase();
    }
    return patch;
  }
}

/** The fields of `patch` that differ from what is stored, or null when none does. */
function changesOf(existing: Participant, patch: Partial<Participant>): Partial<Participant> | null {
  const changes: Partial<Participant> = {};
  let any = false;
  for (const [key, value] of Object.entries(patch) as [keyof Participant, unknown][]) {
    const stored = existing[key];
    const same = key === 'customFields' ? JSON.stringify(stored ?? null) === JSON.stringify(value ?? null) : stored === value;
    if (!same) {
      (changes as Record<string, unknown>)[key] = value;
      any = true;
    }
  }
  return any ? changes : null;
}
