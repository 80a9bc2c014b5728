import { Global, Module, DynamicModule } from '@nestjs/common';
import { resolve } from 'node:path';
import { AppConfig, loadConfig } from './app.config';
import { ensureSecretFile } from './secrets';

/** The validated configuration with generated secrets filled in. */
export function resolveConfig(
  env: NodeJS.ProcessEnv = process.env,
): AppConfig & { APP_SECRET: string; ADMIN_TOKEN: string } {
  const config = loadConfig(env);
  config.DATA_DIR = resolve(config.DATA_DIR);
  if (!config.APP_SECRET) config.APP_SECRET = ensureSecretFile(config.DATA_DIR, 'app-secret').value;
  if (!config.ADMIN_TOKEN) {
    const token = ensureSecretFile(config.DATA_DIR, 'admin-token', 'adm_');
    config.ADMIN_TOKEN = token.value;
    if (token.created) process.stdout.write(`Operator token generated and kept in ${token.path}\n`);
  }
  return config as AppConfig & { APP_SECRET: string; ADMIN_TOKEN: string };
}

@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: ConfigModule,
      providers: [{ provide: AppConfig, useValue: config }],
      exports: [AppConfig],
    };
  }
}
