/**
 * The types the renderer, the validator and the limit checks share, in a file of their own so
 * that none of those modules imports another's for a type.
 */
export type TemplatePart = 'subject' | 'html' | 'text';

/** A limit at save (see TEMPLATE_LIMITS). */
export type TemplateLimit =
  'bytes' | 'mustaches' | 'elseChain' | 'blockDepth' | 'subexpressionDepth';

export interface TemplateValidationError {
  part: TemplatePart;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
  message: string;
  /** A limit crossed (see TEMPLATE_LIMITS): its name, what the part has, and the most allowed. */
  limit?: TemplateLimit;
  count?: number;
  max?: number;
}
