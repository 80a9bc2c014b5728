// A worker thread of TemplateWorkerPool: renders and checks programs' own templates, so that
// however long one takes, the main event loop (HTTP, /health, deliveries of other programs)
// goes on. The pool stops a task over its time by terminating this thread; a render over its
// memory ends the thread too. Nothing here may import Nest or the database: only the renderer.
import { parentPort } from 'node:worker_threads';
import { TemplateRenderError, TemplateRenderer, validateTemplate } from './renderer';
import type { TemplatePart } from './renderer';
import {
  TASK_PROGRESS,
  type TaskProgress,
  type TemplateTask,
  type TemplateTaskResult,
} from './template-tasks';

// One per thread, kept between tasks: compiled templates are cached by version, as in-process,
// within a bound on their source (some 40 templates of 200 KB, or thousands of usual ones), so
// that what the cache holds never takes the thread near its heap cap.
const renderer = new TemplateRenderer({ cacheChars: 8_000_000 });

export default function runTemplateTask(task: TemplateTask): TemplateTaskResult {
  const report = (part: TaskProgress): void =>
    parentPort?.postMessage({ [TASK_PROGRESS]: task.id, part });
  report('start');
  if (task.kind === 'validate')
    return { ok: true, problems: validateTemplate(task.key, task.draft) };
  try {
    const rendered = renderer.renderResolved(
      task.template,
      { locales: task.locales, data: task.data },
      { onPart: (part: TemplatePart | 'layout') => report(part) },
    );
    return {
      ok: true,
      rendered: { subject: rendered.subject, html: rendered.html, text: rendered.text },
    };
  } catch (err) {
    if (!(err instanceof TemplateRenderError)) throw err;
    return {
      ok: false,
      error: {
        code: err.code,
        key: err.key,
        locale: err.locale,
        source: err.source,
        part: err.part,
        reason: err.reason,
        line: err.line,
        column: err.column,
        limit: 'limit' in err ? String(err.limit) : undefined,
      },
    };
  }
}
