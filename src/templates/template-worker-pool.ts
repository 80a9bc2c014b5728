import { Inject, Injectable, OnApplicationShutdown, Optional } from '@nestjs/common';
import { join, resolve } from 'node:path';
import { Piscina } from 'piscina';
import { AppLogger, LOGGER } from '../common/logging/logging.module';
import { AppConfig } from '../config/app.config';
import {
  TemplateDataMissingError,
  TemplateRenderError,
  TemplateRenderLimitError,
  type RenderedEmail,
  type RenderInput,
  type ResolvedTemplate,
  type TemplateDraft,
  type TemplatePart,
  type TemplateValidationError,
} from './renderer';
import {
  TASK_PROGRESS,
  type TaskProgress,
  type TemplateTask,
  type TemplateTaskInput,
  type TemplateTaskResult,
} from './template-tasks';
import { withoutServerPaths } from '../common/errors/server-paths';

// Under ts-jest (and ts-node) this file and the worker are .ts: the worker thread loads it
// through ts-node, as the test process does. From the build both are .js.
const FROM_SOURCE = __filename.endsWith('.ts');
const WORKER_FILE = join(__dirname, `template-worker${FROM_SOURCE ? '.ts' : '.js'}`);
// A task no worker has started by then (the threads cannot start, or stay busy that long) is
// given up as one to try again later, rather than left waiting for ever.
const START_WITHIN_MS = 60_000;

/**
 * The pool is gone or a worker broke for a reason of its own (not the template's): the render
 * can be tried again. Its code does not start with TEMPLATE_, so a delivery retries it.
 */
export class TemplateWorkerUnavailableError extends Error {
  override readonly name = 'TemplateWorkerUnavailableError';
  readonly code = 'RENDER_WORKER_UNAVAILABLE';
}

/** Who a task is for, to name it in an error. */
interface TaskOwner {
  key: string;
  locale: string;
  source: 'program' | 'draft';
}

interface Running {
  part: TemplatePart | 'layout';
  started(): void;
}

/**
 * Renders and checks programs' own templates in a few worker threads (piscina), each with a
 * time cap (TEMPLATE_RENDER_TIMEOUT_MS, counted from when the worker starts the task; a task
 * over it is aborted and its thread terminated) and a heap cap (TEMPLATE_WORKER_MEMORY_MB).
 * A template that runs away fails alone with TEMPLATE_RENDER_LIMIT; the main event loop never
 * runs it. The threads start on first use and stop when the application shuts down.
 */
@Injectable()
export class TemplateWorkerPool implements OnApplicationShutdown {
  private pool?: Piscina<TemplateTask, TemplateTaskResult>;
  private closed = false;
  private nextId = 0;
  private readonly running = new Map<number, Running>();

  constructor(
    private readonly config: AppConfig,
    @Optional() @Inject(LOGGER) private readonly logger?: AppLogger,
  ) {}

  /** Renders a program's template that TemplateRenderer.resolve found, for these locales and data. */
  async render(
    template: ResolvedTemplate,
    input: Pick<RenderInput, 'locales' | 'data'>,
  ): Promise<RenderedEmail> {
    const owner: TaskOwner = { key: template.key, locale: template.locale, source: 'program' };
    const result = await this.run(
      { kind: 'render', template, locales: [...input.locales], data: input.data },
      owner,
    );
    if (!result.ok) {
      const e = result.error;
      throw e.code === 'TEMPLATE_RENDER_LIMIT'
        ? new TemplateRenderLimitError(
            e.key,
            e.locale,
            e.source,
            e.part,
            e.reason,
            (e.limit ?? 'output') as TemplateRenderLimitError['limit'],
            e.line,
            e.column,
          )
        : e.code === 'TEMPLATE_DATA_MISSING'
          ? new TemplateDataMissingError(
              e.key,
              e.locale,
              e.source,
              e.part,
              e.reason,
              e.line,
              e.column,
            )
          : new TemplateRenderError(e.key, e.locale, e.source, e.part, e.reason, e.line, e.column);
    }
    if (!('rendered' in result)) throw new Error('a render task answered without a rendering');
    return result.rendered;
  }

  /** The problems of a program's draft (validateTemplate), found in a worker. */
  async validate(
    key: string,
    locale: string,
    draft: TemplateDraft,
  ): Promise<TemplateValidationError[]> {
    const result = await this.run(
      { kind: 'validate', key, draft },
      { key, locale, source: 'draft' },
    );
    if (!result.ok || !('problems' in result))
      throw new Error('a validation task answered without its problems');
    return result.problems;
  }

  /** Worker threads running now: none before a program's template needs one, none after shutdown. */
  get threadCount(): number {
    return this.pool?.threads.length ?? 0;
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    const pool = this.pool;
    this.pool = undefined;
    // Queued tasks are refused (their callers may try again later); running ones finish, each
    // within its time cap.
    await pool?.close({ force: true });
  }

  private run(task: TemplateTaskInput, owner: TaskOwner): Promise<TemplateTaskResult> {
    const threads = this.threads();
    const id = ++this.nextId;
    const timeoutMs = this.config.TEMPLATE_RENDER_TIMEOUT_MS;
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    let neverStarted = false;
    const waiting = setTimeout(() => {
      neverStarted = true;
      controller.abort();
    }, START_WITHIN_MS);
    const state: Running = {
      part: task.kind === 'render' ? 'subject' : 'html',
      started: () => {
        clearTimeout(waiting);
        timer ??= setTimeout(() => {
          timedOut = true;
          // piscina terminates the thread that runs an aborted task.
          controller.abort();
        }, timeoutMs);
      },
    };
    this.running.set(id, state);
    const limit = (which: 'time' | 'memory', reason: string) =>
      new TemplateRenderLimitError(
        owner.key,
        owner.locale,
        owner.source,
        state.part,
        reason,
        which,
      );
    return threads
      .run({ ...task, id }, { signal: controller.signal })
      .catch((err: unknown) => {
        if (timedOut)
          throw limit(
            'time',
            `the template took longer than ${timeoutMs.toLocaleString('en')} ms; show fewer items or use simpler blocks`,
          );
        if (neverStarted)
          throw new TemplateWorkerUnavailableError(
            `No template worker started the task within ${START_WITHIN_MS / 1000} s.`,
          );
        if ((err as { code?: unknown })?.code === 'ERR_WORKER_OUT_OF_MEMORY')
          throw limit(
            'memory',
            `the template needed more than ${this.config.TEMPLATE_WORKER_MEMORY_MB} MB of memory; show fewer items`,
          );
        throw new TemplateWorkerUnavailableError(
          `No template worker could run the task: ${withoutServerPaths(err instanceof Error ? err.message : String(err))}`,
          { cause: err },
        );
      })
      .finally(() => {
        clearTimeout(waiting);
        clearTimeout(timer);
        this.running.delete(id);
      });
  }

  private threads(): Piscina<TemplateTask, TemplateTaskResult> {
    if (this.closed)
      throw new TemplateWorkerUnavailableError('The template workers are shut down.');
    if (this.pool) return this.pool;
    const threads = this.config.TEMPLATE_WORKERS;
    const pool = new Piscina<TemplateTask, TemplateTaskResult>({
      filename: WORKER_FILE,
      minThreads: threads,
      maxThreads: threads,
      resourceLimits: { maxOldGenerationSizeMb: this.config.TEMPLATE_WORKER_MEMORY_MB },
      ...(FROM_SOURCE
        ? {
            execArgv: ['--require', 'ts-node/register/transpile-only'],
            env: { ...process.env, TS_NODE_PROJECT: resolve(__dirname, '../../tsconfig.json') },
          }
        : {}),
    });
    pool.on('message', (message: unknown) => {
      if (!message || typeof message !== 'object' || !(TASK_PROGRESS in message)) return;
      const { [TASK_PROGRESS]: id, part } = message as { templateTask: number; part: TaskProgress };
      const task = this.running.get(id);
      if (!task) return;
      task.started();
      if (part !== 'start') task.part = part;
    });
    // A thread that fails outside a task (its task, if any, was failed already).
    pool.on('error', (err: unknown) =>
      this.logger?.warn({ err }, 'a template worker thread failed'),
    );
    this.pool = pool;
    return pool;
  }
}
