import { homedir, tmpdir } from 'node:os';
import { resolve } from 'node:path';

const SHOWN = 'a file on the server';

// Where this service's files live: what an error of the file system or of loading code names.
const ROOTS = [
  ...new Set([process.cwd(), resolve(__dirname, '..', '..', '..'), tmpdir(), homedir()]),
]
  .filter((root) => root.length > 1)
  // The longest first, so that a root inside another is replaced whole.
  .sort((a, b) => b.length - a.length);

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
// Not inside a URL or a longer path: `https://host/tmp/x` is not the server's /tmp.
const UNDER_A_ROOT = new RegExp(
  `(?<![\\w/:.-])(?:${ROOTS.map(escape).join('|')})[^\\s'",;)]*`,
  'g',
);
// Node quotes the path of a failed file operation or module load: `open '/srv/data/x.eml'`.
const QUOTED_ABSOLUTE = /'(?:\/|[A-Za-z]:\\)[^'\n]*'/g;

/**
 * An error's text as a program's people may read it: the server's file paths (which say how the
 * machine is laid out, and nothing they can act on) replaced by "a file on the server".
 */
export function withoutServerPaths(text: string): string {
  return text.replace(QUOTED_ABSOLUTE, SHOWN).replace(UNDER_A_ROOT, SHOWN);
}
