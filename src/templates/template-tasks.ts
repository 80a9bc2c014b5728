import type {
  RenderedEmail,
  ResolvedTemplate,
  TemplateDraft,
  TemplatePart,
  TemplateRenderErrorCode,
  TemplateValidationError,
} from './renderer';

/** What the pool asks of a template worker (see template-worker.ts). */
export type TemplateTaskInput =
  | {
      kind: 'render';
      template: ResolvedTemplate;
      locales: string[];
      data: Readonly<Record<string, unknown>>;
    }
  | { kind: 'validate'; key: string; draft: TemplateDraft };

/** A task with the id its progress messages carry. */
export type TemplateTask = TemplateTaskInput & { id: number };

/** A TemplateRenderError as it crosses to the main thread (errors lose their fields there). */
export interface RenderErrorFields {
  code: TemplateRenderErrorCode;
  key: string;
  locale: string;
  source: 'program' | 'default' | 'draft';
  part: TemplatePart | 'layout';
  reason: string;
  line?: number;
  column?: number;
  limit?: string;
}

export type TemplateTaskResult =
  | { ok: true; rendered: RenderedEmail }
  | { ok: true; problems: TemplateValidationError[] }
  | { ok: false; error: RenderErrorFields };

/**
 * Posted by a worker on its port when it starts a task and before each part, as
 * `{ [TASK_PROGRESS]: id, part }`: the time cap starts when the work does (not while the task
 * waits in the queue), and a task stopped for its time names the part it was in.
 */
export const TASK_PROGRESS = 'templateTask';

export type TaskProgress = TemplatePart | 'layout' | 'start';
