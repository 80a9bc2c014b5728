/**
 * The README's walkthrough as data: every ```sh block right after a `<!-- walkthrough -->` line,
 * cut into the statements a person would paste one by one, each curl with the answer the README
 * says it gets (a `# → <status> <json>` line under it). Only marked blocks are read, so the rest
 * of the README is written freely.
 */
export interface WalkthroughStep {
  /** 1-based line of the README where the statement starts. */
  line: number;
  /** The statement as written (continuation lines and multi-line quotes joined as bash reads them). */
  command: string;
  /** `NAME=value` statements set a variable for the statements after them. */
  assigns?: string;
  /**
   * A value the reader fills in from an earlier answer (`SK=sk_...   # the "secretKey" above`):
   * the JSON field named in quotes in the comment, or the first string that starts the same way.
   */
  placeholder?: { prefix: string; field?: string };
  expected?: { status: number; body?: unknown; text: string };
}

export const WALKTHROUGH_MARK = '<!-- walkthrough -->';

/** The steps of every marked block, in the order of the README. */
export function walkthroughSteps(readme: string): WalkthroughStep[] {
  const lines = readme.split('\n');
  const steps: WalkthroughStep[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() !== WALKTHROUGH_MARK) continue;
    // The block is the next thing after the mark (prettier keeps a blank line between them).
    let fence = i + 1;
    while (fence < lines.length && lines[fence].trim() === '') fence++;
    if (!/^```(sh|bash|shell)\s*$/.test(lines[fence] ?? ''))
      throw new Error(
        `README line ${i + 1}: ${WALKTHROUGH_MARK} must be followed by a \`\`\`sh block`,
      );
    let j = fence + 1;
    let pending: { line: number; text: string } | undefined;
    for (; j < lines.length && !lines[j].startsWith('```'); j++) {
      const text = lines[j];
      if (pending) {
        pending.text += `\n${text}`;
        if (!continues(pending.text)) {
          steps.push(stepOf(pending.line, pending.text));
          pending = undefined;
        }
        continue;
      }
      const trimmed = text.trim();
      const answer = /^#\s*→\s*(.*)$/.exec(trimmed);
      if (answer) {
        const last = steps[steps.length - 1];
        if (!last || last.assigns)
          throw new Error(`README line ${j + 1}: an answer (# →) that follows no command`);
        last.expected = expectationOf(answer[1], j + 1);
        continue;
      }
      if (trimmed === '' || trimmed.startsWith('#')) continue;
      if (continues(text)) pending = { line: j + 1, text };
      else steps.push(stepOf(j + 1, text));
    }
    if (pending) throw new Error(`README line ${pending.line}: a command that never ends`);
    i = j;
  }
  return steps;
}

// A statement goes on while a quote is open or the line ends with a backslash, as in bash.
function continues(text: string): boolean {
  let quote: "'" | '"' | undefined;
  for (let k = 0; k < text.length; k++) {
    const c = text[k];
    if (quote === "'") {
      if (c === "'") quote = undefined;
    } else if (c === '\\') {
      k++;
    } else if (quote === '"') {
      if (c === '"') quote = undefined;
    } else if (c === "'" || c === '"') {
      quote = c;
    } else if (c === '#' && (k === 0 || /\s/.test(text[k - 1]))) {
      return false;
    }
  }
  return quote !== undefined || /\\$/.test(text);
}

function stepOf(line: number, command: string): WalkthroughStep {
  const assignment = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(command.trim());
  if (!assignment) return { line, command };
  const [, name, rest] = assignment;
  // `SK=sk_...   # the "secretKey" above`: a value to fill in, and the comment saying from where.
  const placeholder = /^([^\s$`"'(]*)(?:\.\.\.|…)(?:\s+#\s*(.*))?$/.exec(rest);
  return {
    line,
    command: placeholder ? `${name}=${placeholder[1]}...` : `${name}=${rest}`,
    assigns: name,
    ...(placeholder
      ? {
          placeholder: {
            prefix: placeholder[1],
            field: /"([^"]+)"/.exec(placeholder[2] ?? '')?.[1],
          },
        }
      : {}),
  };
}

/** `201 { "id": "...", "secretKey": "sk_..." }   (shown once)`: a status, then maybe a JSON shape. */
function expectationOf(text: string, line: number): WalkthroughStep['expected'] {
  const status = /^(\d{3})\b/.exec(text);
  if (!status) throw new Error(`README line ${line}: an answer starts with its HTTP status`);
  const start = text.search(/[[{]/);
  if (start < 0) return { status: Number(status[1]), text };
  let depth = 0;
  let quoted = false;
  let end = -1;
  for (let k = start; k < text.length && end < 0; k++) {
    const c = text[k];
    if (quoted) {
      if (c === '\\') k++;
      else if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === '{' || c === '[') depth++;
    else if ((c === '}' || c === ']') && --depth === 0) end = k;
  }
  if (end < 0) throw new Error(`README line ${line}: the answer's JSON is not closed`);
  // A bare ... (or …) stands for any value.
  const json = text.slice(start, end + 1).replace(/(?<!")(\.\.\.|…)(?!")/g, '"..."');
  try {
    return { status: Number(status[1]), body: JSON.parse(json), text };
  } catch (err) {
    throw new Error(`README line ${line}: the answer is not JSON: ${(err as Error).message}`);
  }
}

/**
 * Why `actual` is not the answer `expected` describes, or undefined when it is: objects name the
 * fields that matter (others may be there too), "..." is any value, "sk_..." a string starting
 * so, an array's elements each match some element of the answer ([] is an empty one).
 */
export function mismatch(expected: unknown, actual: unknown, path = '$'): string | undefined {
  if (expected === '...' || expected === '…')
    return actual === undefined ? `${path} is missing` : undefined;
  if (typeof expected === 'string' && /(\.\.\.|…)$/.test(expected)) {
    const prefix = expected.replace(/(\.\.\.|…)$/, '');
    return typeof actual === 'string' && actual.startsWith(prefix)
      ? undefined
      : `${path} is ${JSON.stringify(actual)}, not a string starting with ${JSON.stringify(prefix)}`;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return `${path} is ${JSON.stringify(actual)}, not a list`;
    if (expected.length === 0)
      return actual.length === 0 ? undefined : `${path} has ${actual.length} items, not none`;
    for (const [i, item] of expected.entries())
      if (!actual.some((a) => mismatch(item, a) === undefined))
        return `${path} has no item like ${JSON.stringify(item)} (item ${i} of the README's)`;
    return undefined;
  }
  if (expected !== null && typeof expected === 'object') {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual))
      return `${path} is ${JSON.stringify(actual)}, not an object`;
    for (const [key, value] of Object.entries(expected)) {
      const problem = mismatch(value, (actual as Record<string, unknown>)[key], `${path}.${key}`);
      if (problem) return problem;
    }
    return undefined;
  }
  return expected === actual
    ? undefined
    : `${path} is ${JSON.stringify(actual)}, not ${JSON.stringify(expected)}`;
}

/** The value a placeholder stands for, from the answers so far (the latest first). */
export function fillPlaceholder(
  placeholder: NonNullable<WalkthroughStep['placeholder']>,
  answers: unknown[],
): string | undefined {
  const found = (value: unknown, key?: string): string | undefined => {
    if (typeof value === 'string' && key !== undefined) {
      const named = placeholder.field === undefined || placeholder.field === key;
      if (named && value.startsWith(placeholder.prefix)) return value;
      return undefined;
    }
    if (Array.isArray(value)) {
      for (const item of value) {
        const hit = found(item, key);
        if (hit !== undefined) return hit;
      }
    } else if (value !== null && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) {
        const hit = found(v, k);
        if (hit !== undefined) return hit;
      }
    }
    return undefined;
  };
  for (const answer of [...answers].reverse()) {
    const hit = found(answer);
    if (hit !== undefined) return hit;
  }
  return undefined;
}
