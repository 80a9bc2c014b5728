/**
 * Sorts the CPU profiles a bench run wrote (BENCH_PROFILE_DIR) into the categories of
 * bench/FINDINGS.md: each sample's time goes to the nearest frame, from the sampled one up the
 * stack, whose file names a category, so a socket write made by `pg` counts as database work.
 *
 *   npx ts-node --transpile-only bench/profile-summary.ts [--per=N] [--table] DIR|FILE...
 *
 * With --per=N (the emails of the run) each category's time is also given per email; --table
 * prints one Markdown table with a column per profile.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** First match wins; `url` is the frame's file, `fn` its function name. */
const CATEGORIES: Array<[string, (url: string, fn: string) => boolean]> = [
  ['GC', (_u, fn) => fn === '(garbage collector)'],
  ['idle', (_u, fn) => fn === '(idle)'],
  [
    'logging',
    (u) => /node_modules\/(pino|pino-http|sonic-boom|thread-stream)\/|\/src\/logging\//.test(u),
  ],
  [
    'validation',
    (u) =>
      /node_modules\/(class-validator|class-transformer|validator|libphonenumber-js)\//.test(u),
  ],
  [
    'HTTP',
    (u) =>
      /node_modules\/(express|body-parser|router|finalhandler|on-finished|raw-body|qs|send|serve-static|cookie|accepts|type-is|content-type|iconv-lite|@nestjs\/platform-express|helmet|path-to-regexp)\//.test(
        u,
      ) || /^node:_http_|^node:http$/.test(u),
  ],
  [
    'queue',
    (u) => /node_modules\/(bull|ioredis|redis-parser|@nestjs\/bull)\/|\/src\/queue\//.test(u),
  ],
  [
    'DB',
    (u) =>
      /node_modules\/(typeorm|pg|pg-protocol|pg-pool|pg-types|postgres-array|better-sqlite3)\/|\/src\/database\//.test(
        u,
      ),
  ],
  [
    'MIME',
    (u) =>
      /node_modules\/nodemailer\/(lib|dist\/cjs)\/(mime-node|mime-funcs|qp|base64|mail-composer|mailer|punycode|addressparser|dkim|mime-types|shared)\/|node_modules\/(libmime|libqp|libbase64)\//.test(
        u,
      ),
  ],
  ['SMTP', (u) => /node_modules\/nodemailer\//.test(u) || /\/src\/transports\//.test(u)],
  [
    'rendering',
    (u) => /node_modules\/(handlebars|juice|html-to-text|htmlparser2)\/|\/src\/templates\//.test(u),
  ],
  [
    'rule evaluation',
    (u) => /\/src\/(rules|events|rewards|fraud|participants|code-pools)\//.test(u),
  ],
  [
    'delivery and notifications',
    (u) => /\/src\/(delivery|notifications|suppressions|consent|messages)\//.test(u),
  ],
  ['Nest and RxJS', (u) => /node_modules\/(@nestjs|rxjs|reflect-metadata)\//.test(u)],
  ['other service code', (u) => /\/src\//.test(u)],
  ['other libraries', (u) => /node_modules\//.test(u)],
];

function categoryOf(node: ProfileNode): string | undefined {
  const { url, functionName } = node.callFrame;
  for (const [name, match] of CATEGORIES) if (match(url, functionName)) return name;
  return undefined;
}

function summarise(file: string): Map<string, number> {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const memo = new Map<number, string>();
  const resolve = (id: number): string => {
    const known = memo.get(id);
    if (known) return known;
    const node = byId.get(id)!;
    const own = categoryOf(node);
    const up = parent.get(id);
    // Node's own internals (streams, timers, sockets) count for whoever called them.
    const result = own ?? (up === undefined ? 'Node internals' : resolve(up));
    memo.set(id, result === '(root)' ? 'Node internals' : result);
    return memo.get(id)!;
  };
  const totals = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const name = resolve(id);
    totals.set(name, (totals.get(name) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  });
  return totals;
}

function files(dir: string): string[] {
  return statSync(dir).isDirectory()
    ? readdirSync(dir)
        .filter((f) => f.endsWith('.cpuprofile'))
        .map((f) => join(dir, f))
    : [dir];
}

const args = process.argv.slice(2);
const per = Number(args.find((a) => a.startsWith('--per='))?.slice('--per='.length) ?? NaN);
const paths = args.filter((a) => !a.startsWith('--')).flatMap(files);
const summaries = paths.map((file) => ({ file, totals: summarise(file) }));
const busyOf = (totals: Map<string, number>) =>
  [...totals].filter(([k]) => k !== 'idle').reduce((a, [, v]) => a + v, 0);

if (args.includes('--table')) {
  // One column per profile, a row per category: ms per email with --per, else % of busy time.
  const names = CATEGORIES.map(([name]) => name)
    .filter((n) => n !== 'idle')
    .concat('Node internals');
  const cell = (totals: Map<string, number>, name: string) => {
    const ms = totals.get(name) ?? 0;
    return Number.isFinite(per)
      ? (ms / per).toFixed(2)
      : `${((100 * ms) / busyOf(totals)).toFixed(1)}%`;
  };
  console.log(
    `| category | ${summaries.map((s) => `${basename(dirname(s.file))}/${basename(s.file, '.cpuprofile')}`).join(' | ')} |`,
  );
  console.log(`| --- |${summaries.map(() => ' ---: |').join('')}`);
  for (const name of names)
    console.log(`| ${name} | ${summaries.map((s) => cell(s.totals, name)).join(' | ')} |`);
  const total = (s: { totals: Map<string, number> }) =>
    Number.isFinite(per) ? (busyOf(s.totals) / per).toFixed(2) : '100%';
  console.log(`| busy main thread | ${summaries.map(total).join(' | ')} |`);
} else {
  for (const { file, totals } of summaries) {
    const busy = busyOf(totals);
    const all = busy + (totals.get('idle') ?? 0);
    console.log(`\n${file}: ${(busy / 1000).toFixed(1)} s busy of ${(all / 1000).toFixed(1)} s`);
    for (const [name, ms] of [...totals].sort((a, b) => b[1] - a[1])) {
      if (name === 'idle') continue;
      const each = Number.isFinite(per) ? `  ${(ms / per).toFixed(3)} ms per email` : '';
      console.log(
        `  ${name.padEnd(28)} ${((100 * ms) / busy).toFixed(1).padStart(5)}%  ${(ms / 1000).toFixed(2)} s${each}`,
      );
    }
    console.log(
      `  ${'(idle, share of the run)'.padEnd(28)} ${((100 * (totals.get('idle') ?? 0)) / all).toFixed(1).padStart(5)}%`,
    );
  }
}
