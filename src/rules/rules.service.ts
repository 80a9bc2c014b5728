import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource, Repository } from 'typeorm';
import { AppError } from '../common/errors/app-error';
import { AppConfig } from '../config/app.config';
import { TemplatesService } from '../templates/templates.service';
import { parseRuleDefinition } from './engine/rule-definition';
import type { RuleDefinition } from './engine/rule-types';
import { CreateRuleDto, UpdateRuleDto } from './dto/rule.dto';
import { Rule } from './rule.entity';
import { RulesCache } from './rules-cache';
import { WebhooksService } from '../webhooks/webhooks.service';
import { CodePoolsService } from '../code-pools/code-pools.service';

export interface RuleView {
  id: string;
  name: string;
  event: string;
  conditions: Rule['conditions'];
  actions: Rule['actions'];
  enabled: boolean;
  priority: number;
  version: number;
  createdAt: string;
  updatedAt: string;
}

export function toRuleView(r: Rule): RuleView {
  return {
    id: r.id,
    name: r.name,
    event: r.event,
    conditions: r.conditions,
    actions: r.actions,
    enabled: r.enabled,
    priority: r.priority,
    version: r.version,
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
  };
}

const MAX_RULES_LISTED = 1000;

@Injectable()
export class RulesService {
  constructor(
    @InjectRepository(Rule) private readonly rules: Repository<Rule>,
    private readonly dataSource: DataSource,
    private readonly cache: RulesCache,
    private readonly templates: TemplatesService,
    private readonly config: AppConfig,
    private readonly webhooks: WebhooksService,
    private readonly codePools: CodePoolsService,
  ) {}

  async create(programId: string, dto: CreateRuleDto): Promise<RuleView> {
    const def = await this.validate(programId, dto);
    const now = new Date();
    const rule = this.rules.create({
      id: randomUUID(),
      programId,
      ...this.columnsOf(def),
      version: 1,
      createdAt: now,
      updatedAt: now,
    });
    await this.dataSource.transaction(async (manager) => {
      // The bump first: its row lock makes creators of one program count one after the other,
      // so two at once cannot both take the last place.
      await this.cache.bump(manager, programId);
      const count = await manager.countBy(Rule, { programId });
      const max = this.config.MAX_RULES_PER_PROGRAM;
      if (count >= max) {
        throw AppError.conflict(
          'RULE_LIMIT_REACHED',
          `The program has ${count} rules, the most a program may have (MAX_RULES_PER_PROGRAM is ${max}); delete rules it no longer uses (DELETE /v1/rules/:id), or change one (PATCH /v1/rules/:id), before creating another.`,
        );
      }
      await manager.insert(Rule, rule);
    });
    this.cache.invalidate(programId);
    return toRuleView(rule);
  }

  async list(programId: string, event?: string): Promise<{ items: RuleView[] }> {
    const rules = await this.rules.find({
      where: { programId, ...(event ? { event } : {}) },
      order: { event: 'ASC', priority: 'DESC', createdAt: 'ASC' },
      take: MAX_RULES_LISTED,
    });
    return { items: rules.map(toRuleView) };
  }

  async get(programId: string, id: string): Promise<RuleView> {
    return toRuleView(await this.find(programId, id));
  }

  /** Changes the given fields; the whole rule is validated again and its version raised. */
  async update(programId: string, id: string, dto: UpdateRuleDto): Promise<RuleView> {
    const current = await this.find(programId, id);
    const merged: Record<string, unknown> = {
      name: current.name,
      event: current.event,
      conditions: current.conditions ?? undefined,
      actions: current.actions,
      enabled: current.enabled,
      priority: current.priority,
    };
    for (const [key, value] of Object.entries(dto)) if (value !== undefined) merged[key] = value;
    const columns = this.columnsOf(await this.validate(programId, merged));
    const unchanged = (Object.keys(columns) as (keyof typeof columns)[]).every(
      (k) => JSON.stringify(columns[k]) === JSON.stringify(current[k]),
    );
    if (unchanged) return toRuleView(current);
    const now = new Date();
    await this.dataSource.transaction(async (manager) => {
      // Compare-and-set on the version: two edits at once must not silently merge.
      const res = await manager.update(
        Rule,
        { id, programId, version: current.version },
        { ...columns, version: current.version + 1, updatedAt: now },
      );
      if (!res.affected) {
        throw AppError.conflict(
          'RULE_CHANGED',
          'The rule was changed by someone else while this change was made; fetch it again and repeat the change.',
        );
      }
      await this.cache.bump(manager, programId);
    });
    this.cache.invalidate(programId);
    return toRuleView({ ...current, ...columns, version: current.version + 1, updatedAt: now });
  }

  async remove(programId: string, id: string): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const res = await manager.delete(Rule, { id, programId });
      if (!res.affected) throw AppError.notFound('Rule', id);
      await this.cache.bump(manager, programId);
    });
    this.cache.invalidate(programId);
  }

  private async find(programId: string, id: string): Promise<Rule> {
    const rule = await this.rules.findOneBy({ programId, id });
    if (!rule) throw AppError.notFound('Rule', id);
    return rule;
  }

  /** The normalised definition, or a 400 RULE_INVALID that names every problem and where it is. */
  private async validate(programId: string, raw: object): Promise<RuleDefinition> {
    const own = await this.templates.listProgramKeys(programId);
    const ownSet = new Set(own);
    const endpoints = new Set(await this.webhooks.endpointIds(programId));
    const pools = new Set(await this.codePools.poolIds(programId));
    const parsed = parseRuleDefinition(raw, {
      templateExists: (key) => ownSet.has(key),
      listTemplates: () => own,
      webhookExists: (id) => endpoints.has(id),
      codePoolExists: (id) => pools.has(id),
    });
    if (parsed.ok) return parsed.definition;
    const { problems } = parsed;
    throw AppError.badRequest(
      'RULE_INVALID',
      problems.length === 1
        ? problems[0].message
        : `The rule has ${problems.length} problems; the first: ${problems[0].message}`,
      problems.map((p) => ({ field: p.path, code: p.code, message: p.message })),
    );
  }

  private columnsOf(def: RuleDefinition) {
    return {
      name: def.name,
      event: def.event,
      conditions: def.conditions ?? null,
      actions: def.actions,
      enabled: def.enabled,
      priority: def.priority,
    };
  }
}
