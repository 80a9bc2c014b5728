import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { Repository } from 'typeorm';
import { SingleFlight } from '../common/async/single-flight';
import { refuseNulls } from '../common/validation/validators';
import { EntityQueries } from '../database/entity-queries';
import { newTag } from '../common/crypto/tags';
import { generateApiKey, hashApiKey, KeyKind } from './api-keys';
import { AppConfig } from '../config/app.config';
import { CreateProgramDto, UpdateProgramDto } from './dto/program.dto';
import { effectiveSettings, Program } from './program.entity';
import { refuseLocalLinks } from './program-links';
import { programWarnings, type ProgramWarning } from './program-warnings';

export interface ProgramView {
  id: string;
  name: string;
  timezone: string;
  defaultLocale: string;
  fromName: string | null;
  replyTo: string | null;
  settings: ReturnType<typeof effectiveSettings>;
  warnings: ProgramWarning[];
  createdAt: string;
  updatedAt: string;
}

export function toProgramView(p: Program): ProgramView {
  return {
    id: p.id,
    name: p.name,
    timezone: p.timezone,
    defaultLocale: p.defaultLocale,
    fromName: p.fromName,
    replyTo: p.replyTo,
    settings: effectiveSettings(p),
    warnings: programWarnings(p),
    createdAt: p.createdAt.toISOString(),
    updatedAt: p.updatedAt.toISOString(),
  };
}

@Injectable()
export class ProgramsService {
  private readonly queries: EntityQueries<Program>;
  // Every request and job reads its program; concurrent ones share the read.
  private readonly reads = new SingleFlight<Program | null>();

  constructor(
    @InjectRepository(Program) private readonly programs: Repository<Program>,
    private readonly config: AppConfig,
  ) {
    this.queries = new EntityQueries(programs);
  }

  async create(
    dto: CreateProgramDto,
  ): Promise<ProgramView & { secretKey: string; publishableKey: string }> {
    refuseLocalLinks(dto.settings, this.config);
    const secretKey = generateApiKey('secret');
    const publishableKey = generateApiKey('publishable');
    const now = new Date();
    const program = this.programs.create({
      id: randomUUID(),
      name: dto.name,
      timezone: dto.timezone ?? 'UTC',
      defaultLocale: dto.defaultLocale ?? 'en',
      fromName: dto.fromName ?? null,
      replyTo: dto.replyTo ?? null,
      settings: { ...(dto.settings ?? {}) },
      secretKeyHash: hashApiKey(secretKey),
      publishableKeyHash: hashApiKey(publishableKey),
      createdAt: now,
      updatedAt: now,
    });
    await this.programs.insert(program);
    return { ...toProgramView(program), secretKey, publishableKey };
  }

  async findByKey(key: string): Promise<Program | null> {
    const hash = hashApiKey(key);
    const read = () =>
      key.startsWith('sk_')
        ? this.queries.findOne({ secretKeyHash: hash })
        : this.queries.findOne({ publishableKeyHash: hash });
    return copyOf(await this.reads.run(`key:${hash}`, read));
  }

  findByInboundTag(tag: string): Promise<Program | null> {
    return this.queries.findOne({ inboundTag: tag });
  }

  /** The tag of the program's forwarding address, made the first time it is asked for. */
  async inboundTagOf(program: Program): Promise<string> {
    if (program.inboundTag) return program.inboundTag;
    // Set only if still unset: of two first requests at once, one tag wins and both read it.
    await this.programs
      .createQueryBuilder()
      .update()
      .set({ inboundTag: newTag() })
      .where('id = :id AND "inboundTag" IS NULL', { id: program.id })
      .execute();
    const stored = await this.queries.findOne({ id: program.id });
    return stored!.inboundTag!;
  }

  async findById(id: string): Promise<Program | null> {
    return copyOf(await this.reads.run(`id:${id}`, () => this.queries.findOne({ id })));
  }

  async update(program: Program, dto: UpdateProgramDto): Promise<ProgramView> {
    const { settings, ...rest } = dto;
    // null clears fromName or replyTo; the other fields always have a value (the columns say so).
    refuseNulls(rest, ['name', 'timezone', 'defaultLocale']);
    refuseLocalLinks(settings, this.config);
    const next: Partial<Program> = { ...rest, updatedAt: new Date() };
    // Settings merge key by key, so a PATCH of one setting keeps the others.
    if (settings) next.settings = { ...program.settings, ...settings };
    await this.programs.update({ id: program.id }, next);
    return toProgramView({ ...program, ...next });
  }

  /** Replaces one key; the old one stops working at once. */
  async rotateKey(program: Program, kind: KeyKind): Promise<{ kind: KeyKind; key: string }> {
    const key = generateApiKey(kind);
    const column = kind === 'secret' ? 'secretKeyHash' : 'publishableKeyHash';
    await this.programs.update(
      { id: program.id },
      { [column]: hashApiKey(key), updatedAt: new Date() },
    );
    return { kind, key };
  }
}

// Each caller gets its own object: a shared read must not let one caller's change reach another.
function copyOf(program: Program | null): Program | null {
  return (
    program &&
    Object.assign(new Program(), program, { settings: program.settings && { ...program.settings } })
  );
}
