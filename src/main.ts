import 'reflect-metadata';
import { createApp } from './app.factory';
import { ConfigError } from './config/app.config';
import { resolveConfig } from './config/config.module';

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
  const app = await createApp(config);
  await app.listen(config.PORT, config.HOST);
  const db = config.DATABASE_URL ? 'Postgres' : `SQLite in ${config.DATA_DIR}`;
  const queue = config.REDIS_URL ? 'Bull on Redis' : 'in-process queue';
  process.stdout.write(
    `Listening on http://${config.HOST.includes(':') ? `[${config.HOST}]` : config.HOST}:${config.PORT} (role ${config.APP_ROLE}; ${db}; ${queue}). API docs at /docs\n`,
  );
}

void bootstrap();
