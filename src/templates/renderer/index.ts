export {
  DefaultTemplateStore,
  findTemplatesDir,
  type OutputFormat,
  type TemplateParts,
} from './default-template-store';
export {
  sampleEmailData,
  SAMPLE_PROGRAM,
  SAMPLE_UNSUBSCRIBE_URL,
  withOptionalEmpty,
} from './email-samples';
export {
  contractFor,
  EMAIL_CATEGORIES,
  emailCategoryOf,
  EMAIL_TYPE_KEYS,
  EMAIL_TYPES,
  emailTypeOf,
  flattenDetails,
  hasUnsubscribeUrl,
  isEmailTypeKey,
  RULE_EMAIL_KEYS,
  sentOnlyBy,
  SYSTEM_EMAIL_KEYS,
  toEventVars,
  toPersonVars,
  toProgramVars,
  toRewardVars,
  type AnyEmailData,
  type EmailCategory,
  type EmailContract,
  type EmailData,
  type EmailTypeKey,
  type EventInput,
  type EventVars,
  type Field,
  type PersonInput,
  type PersonVars,
  type ProgramInput,
  type ProgramVars,
  type RewardInput,
  type RewardVars,
} from './email-types';
export { htmlToText } from './html-to-text';
export {
  FALLBACK_LOCALE,
  formattingLocale,
  normalizeLocale,
  resolveLocaleChain,
} from './locale-fallback';
export { DATE_FORMAT_NAMES, TEMPLATE_HELPERS, TEMPLATE_PARTIALS } from './template-helpers';
export { MAX_RENDERED_CHARS, type RenderLimit } from './render-budget';
export {
  draftLimitProblems,
  TEMPLATE_LIMITS,
  type TemplateLimit,
  type TemplateLimitProblem,
} from './template-limits';
export {
  singleLine,
  TemplateDataMissingError,
  TemplateNotFoundError,
  TemplateRenderError,
  TemplateRenderer,
  TemplateRenderLimitError,
  type RenderedEmail,
  type RenderHooks,
  type RenderInput,
  type RenderResult,
  type ResolvedTemplate,
  type TemplatePart,
  type TemplateRenderErrorCode,
  type TemplateRendererOptions,
} from './template-renderer';
export type { TemplateOverride, TemplateSource } from './template-source';
export {
  validateTemplate,
  type TemplateDraft,
  type TemplateValidationError,
} from './template-validator';
