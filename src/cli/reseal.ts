import 'reflect-metadata';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DataSource } from 'typeorm';
import { IntegrationSecrets } from '../common/crypto/integration-secrets';
import { ConfigError, loadConfig, previousSecrets } from '../config/app.config';
import { dataSourceOptions } from '../database/data-source.options';
import { resealSecrets, type ColumnReport } from './reseal-secrets';

// `npm run secrets:reseal`: after APP_SECRET was rotated (the new one in APP_SECRET, the old one
// in APP_SECRET_PREVIOUS), seals every stored secret again under APP_SECRET, so the old one can
// be removed. Prints counts and row ids, never a value. Exit code 0 when nothing is left under
// an old secret, 1 when some values could not be opened, 78 for a configuration error.

export interface ResealOutput {
  out: (line: string) => void;
  err: (line: string) => void;
}

const FAILED_ROWS_SHOWN = 20;

function summary(report: ColumnReport): string {
  const parts = [
    `${report.values} stored`,
    `${report.resealed} re-sealed`,
    `${report.alreadyCurrent} already under APP_SECRET`,
  ];
  if (report.changedMeanwhile) parts.push(`${report.changedMeanwhile} changed meanwhile`);
  if (report.failed.length) parts.push(`${report.failed.length} could not be opened`);
  return `  ${report.column}: ${parts.join(', ')}`;
}

/** Runs the re-seal with the service's environment; resolves to the process exit code. */
export async function runReseal(
  env: NodeJS.ProcessEnv,
  output: ResealOutput = {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
  },
): Promise<number> {
  let config;
  try {
    config = loadConfig(env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    output.err(err.message);
    return 78;
  }
  config.DATA_DIR = resolve(config.DATA_DIR);
  // The secret the service generated into DATA_DIR, never a new one: a new one would open nothing.
  const secretFile = join(config.DATA_DIR, 'app-secret');
  if (!config.APP_SECRET && existsSync(secretFile)) {
    config.APP_SECRET = readFileSync(secretFile, 'utf8').trim();
  }
  if (!config.APP_SECRET) {
    output.err(
      `APP_SECRET is not set and ${secretFile} does not exist: run this with the environment of the service.`,
    );
    return 78;
  }

  const dataSource = new DataSource(dataSourceOptions(config));
  await dataSource.initialize();
  try {
    if (await dataSource.showMigrations()) {
      output.err(
        'The database has migrations this version has not run yet: start the service once with this version (it runs them), then run this again.',
      );
      return 1;
    }
    const previous = previousSecrets(config).length;
    output.out(
      `Sealing stored secrets again under APP_SECRET (${previous} earlier secret${previous === 1 ? '' : 's'} in APP_SECRET_PREVIOUS):`,
    );
    const reports = await resealSecrets(dataSource, new IntegrationSecrets(config));
    for (const report of reports) output.out(summary(report));
    const total = (key: 'resealed' | 'alreadyCurrent') =>
      reports.reduce((sum, r) => sum + r[key], 0);
    const failed = reports.flatMap((r) => r.failed.map((f) => ({ ...f, column: r.column })));
    output.out(
      `Done: ${total('resealed')} re-sealed, ${total('alreadyCurrent')} already under APP_SECRET, ${failed.length} could not be opened.`,
    );
    if (failed.length === 0) return 0;
    for (const f of failed.slice(0, FAILED_ROWS_SHOWN)) {
      output.err(`  ${f.column} of row ${f.id}: ${f.code}`);
    }
    if (failed.length > FAILED_ROWS_SHOWN) {
      output.err(`  ... and ${failed.length - FAILED_ROWS_SHOWN} more`);
    }
    output.err(
      'Keep the old APP_SECRET until these are fixed: add the secret they were sealed under to APP_SECRET_PREVIOUS and run this again, or enter those credentials again.',
    );
    return 1;
  } finally {
    await dataSource.destroy();
  }
}

if (require.main === module) {
  runReseal(process.env).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(
        `Re-sealing failed: ${err instanceof Error ? err.message : String(err)}\n`,
      );
      process.exit(1);
    },
  );
}
