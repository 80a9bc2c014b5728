import { RulesService } from '../../rules/rules.service';
import { RuleSimulator, type EventNeed } from '../../rules/rule-simulator.service';
import { Injectable } from '@nestjs/common';
import type { AppError } from '../../common/errors/app-error';
import type { RuleResult } from '../../rules/action-plan';
import { CreateRuleDto, SimulateRulesDto, UpdateRuleDto } from '../../rules/dto/rule.dto';
import type { RuleView } from '../../rules/rules.service';
import { formField, type SignedInContext } from '../console-request';
import {
  attempt,
  emptyForm,
  integerOrText,
  noticeFromQuery,
  parseJsonField,
  pickFields,
  refusedForm,
  topField,
  validateBody,
  type FormState,
  type Notice,
} from '../console-forms';
import type { Page, PageResult } from '../console-views.service';
import { hasMessage, translate, type Lang } from '../i18n';

const RULE_FIELDS = ['name', 'event', 'priority', 'conditions', 'actions', 'version'] as const;
const SIMULATE_FIELDS = ['type', 'participant', 'referrer', 'data'] as const;

const DEFAULT_SIMULATION = {
  type: '',
  participant: '{\n  "id": "participant-1",\n  "email": "participant@example.com"\n}',
  referrer: '',
  data: '{}',
};

/** One line per action, in the reader's language: "Email reward-earned to the referrer". */
function describeActions(lang: Lang, actions: readonly object[]): string[] {
  return actions.map((raw) => {
    const a = raw as Record<string, unknown>;
    if (a.type === 'reverse-rewards')
      return translate(lang, 'rules.action.reverse', { ref: String(a.ref) });
    const to = translate(lang, a.to === 'referrer' ? 'rules.to.referrer' : 'rules.to.participant');
    if (a.type === 'email')
      return translate(lang, 'rules.action.email', { template: String(a.template), to });
    return translate(lang, 'rules.action.reward', {
      amount: String(a.amount),
      currency: String(a.currency),
      // The kind in the reader's language; one this console has no word for, as it is.
      kind: hasMessage(`rules.kind.${String(a.kind)}`)
        ? translate(lang, `rules.kind.${String(a.kind)}`)
        : String(a.kind),
      to,
    });
  });
}

function ruleValues(rule: RuleView): Record<string, string> {
  return {
    name: rule.name,
    event: rule.event,
    priority: String(rule.priority),
    enabled: rule.enabled ? 'on' : '',
    conditions: rule.conditions ? JSON.stringify(rule.conditions, null, 2) : '',
    actions: JSON.stringify(rule.actions, null, 2),
    version: String(rule.version),
  };
}

/** The rule form as posted: a checkbox left unticked is not sent at all. */
function postedValues(body: unknown): Record<string, string> {
  return { ...pickFields(body, RULE_FIELDS), enabled: formField(body, 'enabled') ? 'on' : '' };
}

/** What the posted form sets besides the JSON fields (conditions, actions). */
function postedSettings(values: Record<string, string>) {
  return {
    name: values.name.trim(),
    event: values.event.trim(),
    priority: integerOrText(values.priority) ?? 0,
    enabled: values.enabled === 'on',
  };
}

/** JSON textareas parsed; a field that is not JSON gets its message and no value. */
function parseJsonFields(
  values: Record<string, string>,
  names: readonly string[],
): { parsed: Record<string, unknown>; errors: Record<string, string[]> } {
  const parsed: Record<string, unknown> = {};
  const errors: Record<string, string[]> = {};
  for (const name of names) {
    if (values[name].trim() === '') continue;
    const result = parseJsonField(values[name]);
    if (result.ok) parsed[name] = result.value;
    else errors[name] = [result.message];
  }
  return { parsed, errors };
}

/** Simulate's detail paths are under `event.`: `event.participant.email` belongs to the participant box. */
function simulateField(path: string): string | undefined {
  const [, field] = path.split(/[.[]/);
  if (path === 'event') return 'type';
  return field && ['type', 'participant', 'referrer', 'data'].includes(field) ? field : undefined;
}

/** The Rules pages: the list, the editor, enable and disable, and the simulator. */
@Injectable()
export class RulesPageService {
  constructor(
    private readonly rules: RulesService,
    private readonly simulator: RuleSimulator,
  ) {}

  async list(ctx: SignedInContext, noticeKey?: unknown): Promise<Page> {
    const { items } = await this.rules.list(ctx.program.id);
    return {
      view: 'rules',
      title: 'rules.title',
      section: 'rules',
      model: {
        notice: noticeFromQuery(ctx.lang, noticeKey),
        rules: items.map((r) => {
          const conditionCount = countConditions(r.conditions);
          const plural =
            new Intl.PluralRules(ctx.lang).select(conditionCount) === 'one' ? 'one' : 'other';
          return {
            ...r,
            actionLines: describeActions(ctx.lang, r.actions),
            conditionCount,
            conditionText: translate(ctx.lang, `rules.conditionCount.${plural}`, {
              count: conditionCount,
            }),
          };
        }),
      },
    };
  }

  newRule(ctx: SignedInContext): Page {
    return this.editor(
      ctx,
      null,
      emptyForm({
        name: '',
        event: '',
        priority: '0',
        enabled: 'on',
        conditions: '',
        actions: '',
        version: '',
      }),
    );
  }

  async edit(ctx: SignedInContext, id: string): Promise<Page> {
    const rule = await this.rules.get(ctx.program.id, id);
    return this.editor(ctx, rule, emptyForm(ruleValues(rule)));
  }

  async create(ctx: SignedInContext, body: unknown): Promise<PageResult> {
    const values = postedValues(body);
    const { parsed, errors } = parseJsonFields(values, ['conditions', 'actions']);
    if (Object.keys(errors).length)
      return this.editor(ctx, null, this.invalidJson(ctx.lang, values, errors), 400);
    const input = {
      ...postedSettings(values),
      ...(parsed.conditions !== undefined ? { conditions: parsed.conditions } : {}),
      actions: parsed.actions ?? [],
    };
    const outcome = await attempt(async () =>
      this.rules.create(ctx.program.id, await validateBody(CreateRuleDto, input)),
    );
    if (!outcome.ok) return this.refused(ctx, null, values, outcome.error);
    return { redirect: '/console/rules?notice=rule-created' };
  }

  async update(ctx: SignedInContext, id: string, body: unknown): Promise<PageResult> {
    const current = await this.rules.get(ctx.program.id, id);
    const values = postedValues(body);
    if (values.version && values.version !== String(current.version)) {
      // Someone saved the rule since this form was opened: say so instead of overwriting their change.
      const notice: Notice = {
        kind: 'error',
        title: translate(ctx.lang, 'rules.changedElsewhere', { version: current.version }),
      };
      return this.editor(ctx, current, { values, errors: {}, notice }, 409);
    }
    const { parsed, errors } = parseJsonFields(values, ['conditions', 'actions']);
    if (Object.keys(errors).length)
      return this.editor(ctx, current, this.invalidJson(ctx.lang, values, errors), 400);
    const input = {
      ...postedSettings(values),
      conditions: parsed.conditions ?? null,
      actions: parsed.actions ?? [],
    };
    const outcome = await attempt(async () =>
      this.rules.update(ctx.program.id, id, await validateBody(UpdateRuleDto, input)),
    );
    if (!outcome.ok) return this.refused(ctx, current, values, outcome.error);
    return { redirect: '/console/rules?notice=rule-saved' };
  }

  async setEnabled(ctx: SignedInContext, id: string, body: unknown): Promise<PageResult> {
    const enabled = formField(body, 'enabled') === 'true';
    await this.rules.update(ctx.program.id, id, { enabled });
    return { redirect: `/console/rules?notice=${enabled ? 'rule-enabled' : 'rule-disabled'}` };
  }

  async remove(ctx: SignedInContext, id: string): Promise<PageResult> {
    await this.rules.remove(ctx.program.id, id);
    return { redirect: '/console/rules?notice=rule-deleted' };
  }

  simulateForm(ctx: SignedInContext): Page {
    return this.simulation(ctx, emptyForm({ ...DEFAULT_SIMULATION }));
  }

  /** A dry run: which rules match this event, which conditions failed and why. Nothing is written. */
  async simulate(ctx: SignedInContext, body: unknown): Promise<Page> {
    const values = pickFields(body, SIMULATE_FIELDS);
    const { parsed, errors } = parseJsonFields(values, ['participant', 'referrer', 'data']);
    if (Object.keys(errors).length)
      return this.simulation(ctx, this.invalidJson(ctx.lang, values, errors), undefined, 400);
    const event = {
      type: values.type.trim(),
      participant: parsed.participant ?? {},
      ...(parsed.referrer !== undefined ? { referrer: parsed.referrer } : {}),
      ...(parsed.data !== undefined ? { data: parsed.data } : {}),
    };
    const outcome = await attempt(async () =>
      this.simulator.simulate(ctx.program, await validateBody(SimulateRulesDto, { event })),
    );
    if (!outcome.ok)
      return this.simulation(
        ctx,
        refusedForm(ctx.lang, values, outcome.error, 'rules.simulate.refused', simulateField),
        undefined,
        outcome.error.getStatus(),
      );
    return this.simulation(
      ctx,
      emptyForm(values),
      outcome.value.results,
      undefined,
      outcome.value.eventNeeds,
    );
  }

  private invalidJson(
    lang: Lang,
    values: Record<string, string>,
    errors: Record<string, string[]>,
  ): FormState {
    return {
      values,
      errors,
      notice: { kind: 'error', title: translate(lang, 'form.invalidJson') },
    };
  }

  /** The editor again after a create or a save was refused: the form as sent, the reasons beside it. */
  private refused(
    ctx: SignedInContext,
    rule: RuleView | null,
    values: Record<string, string>,
    error: AppError,
  ): Page {
    const form = refusedForm(ctx.lang, values, error, 'rules.refused', topField);
    return this.editor(ctx, rule, form, error.getStatus());
  }

  private editor(
    ctx: SignedInContext,
    rule: RuleView | null,
    form: FormState,
    status?: number,
  ): Page {
    return {
      view: 'rule-edit',
      title: rule ? 'rules.editTitle' : 'rules.newTitle',
      section: 'rules',
      status,
      model: {
        rule,
        form,
        action: rule ? `/console/rules/${encodeURIComponent(rule.id)}` : '/console/rules',
      },
    };
  }

  private simulation(
    ctx: SignedInContext,
    form: FormState,
    results?: RuleResult[],
    status?: number,
    eventNeeds: EventNeed[] = [],
  ): Page {
    return {
      view: 'rule-simulate',
      title: 'rules.simulate.title',
      section: 'rules',
      status,
      model: {
        form,
        ran: results !== undefined,
        // What a real event would be refused for: the simulation ran anyway.
        needs: eventNeeds.length
          ? {
              kind: 'warning',
              title: translate(ctx.lang, 'rules.simulate.eventNeeds'),
              lines: eventNeeds.map((n) =>
                translate(ctx.lang, 'rules.simulate.eventNeed', { field: n.field, code: n.code }),
              ),
            }
          : null,
        results: (results ?? []).map((r) => ({
          ...r,
          failedConditions: r.failedConditions.map((c) => ({
            ...c,
            expectedJson: JSON.stringify(c.expected),
            actualJson: c.missing ? null : JSON.stringify(c.actual),
          })),
          actions: r.actions.map((a) => ({ ...a, line: describeActions(ctx.lang, [a])[0] })),
        })),
      },
    };
  }
}

function countConditions(conditions: unknown): number {
  if (!conditions || typeof conditions !== 'object') return 0;
  if (Array.isArray(conditions))
    return conditions.reduce((n: number, c) => n + countConditions(c), 0);
  const node = conditions as Record<string, unknown>;
  if ('fact' in node) return 1;
  return ['all', 'any', 'not'].reduce((n, k) => n + countConditions(node[k]), 0);
}
