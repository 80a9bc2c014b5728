import 'reflect-metadata';
import { createApp } from './app.factory';
import { ConfigError } from './config/app.config';
import { resolveConfig } from './config/config.module';
import { listenPorts, portProblem, portProblems } from './startup/ports';

async function bootstrap(): Promise<void> {
  let config;
  try {
    config = resolveConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
  // Before anything starts: a port another process holds (a second npm start) is one line that
  // says what to change, not a stack trace.
  const ports = listenPorts(config);
  const problems = await portProblems(ports);
  if (problems.length > 0) {
    process.stderr.write(`${problems.join('\n')}\n`);
    process.exit(1);
  }
  const app = await createApp(config);
  try {
    await app.listen(config.PORT, config.HOST);
  } catch (err) {
    // Taken in the moment since the check.
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EADDRINUSE' && code !== 'EACCES') throw err;
    process.stderr.write(
      `${portProblem({ setting: 'PORT', port: config.PORT, host: config.HOST }, code)}\n`,
    );
    process.exit(1);
  }
  const db = config.DATABASE_URL ? 'Postgres' : `SQLite in ${config.DATA_DIR}`;
  const queue = config.REDIS_URL ? 'Bull on Redis' : 'in-process queue';
  process.stdout.write(
    `Listening on http://${config.HOST.includes(':') ? `[${config.HOST}]` : config.HOST}:${config.PORT} (role ${config.APP_ROLE}; ${db}; ${queue}). API docs at /docs\n`,
  );
}

void bootstrap();
