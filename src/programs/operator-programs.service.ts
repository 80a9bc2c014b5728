import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Brackets, Repository } from 'typeorm';
import { AppError } from '../common/errors/app-error';
import type { KeyKind } from './api-keys';
import type { ListProgramsQuery } from './dto/operator-programs.dto';
import { Program } from './program.entity';
import { ProgramsService, toProgramView, type ProgramView } from './programs.service';

const encodeCursor = (p: Program) =>
  Buffer.from(`${p.createdAt.toISOString()}|${p.id}`).toString('base64url');

function decodeCursor(cursor: string): { at: Date; id: string } {
  const [at, id] = Buffer.from(cursor, 'base64url').toString().split('|');
  const date = new Date(at);
  if (!id || Number.isNaN(date.getTime()))
    throw AppError.badRequest(
      'CURSOR_INVALID',
      'The cursor is not valid; use the nextCursor of the previous page.',
    );
  return { at: date, id };
}

/** `%`, `_` and the escape character itself match literally in a LIKE pattern. */
const escapeLike = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * What the operator does with programs beside creating them: find one (a lost key is recovered
 * by rotating it, which needs the program's id), and replace its keys. Keys are never listed:
 * only their hashes are stored.
 */
@Injectable()
export class OperatorProgramsService {
  constructor(
    @InjectRepository(Program) private readonly programs: Repository<Program>,
    private readonly service: ProgramsService,
  ) {}

  async list(q: ListProgramsQuery): Promise<{ items: ProgramView[]; nextCursor: string | null }> {
    const limit = q.limit ?? 50;
    const qb = this.programs.createQueryBuilder('p');
    const name = q.name?.trim().toLowerCase();
    if (name)
      qb.andWhere("LOWER(p.name) LIKE :name ESCAPE '\\'", { name: `%${escapeLike(name)}%` });
    if (q.cursor) {
      const c = decodeCursor(q.cursor);
      qb.andWhere(
        new Brackets((w) =>
          w
            .where('p.createdAt < :at', { at: c.at })
            .orWhere('p.createdAt = :at AND p.id < :id', { at: c.at, id: c.id }),
        ),
      );
    }
    const rows = await qb
      .orderBy('p.createdAt', 'DESC')
      .addOrderBy('p.id', 'DESC')
      .take(limit + 1)
      .getMany();
    const page = rows.slice(0, limit);
    return {
      items: page.map(toProgramView),
      nextCursor: rows.length > limit ? encodeCursor(page[page.length - 1]) : null,
    };
  }

  async get(id: string): Promise<ProgramView> {
    return toProgramView(await this.find(id));
  }

  /** The same rotation as the program's own, for the operator: the program's key may be lost. */
  async rotateKey(id: string, kind: KeyKind): Promise<{ kind: KeyKind; key: string }> {
    return this.service.rotateKey(await this.find(id), kind);
  }

  private async find(id: string): Promise<Program> {
    const program = await this.service.findById(id);
    if (!program) throw AppError.notFound('Program', id);
    return program;
  }
}
