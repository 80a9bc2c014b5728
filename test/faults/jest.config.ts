import type { Config } from 'jest';
import { requireBackends } from './support/run';

// Fails at once, with what to set, rather than in every case.
requireBackends();

// The fault suite: real processes, Postgres and Redis, minutes long. Kept apart from `npm test`,
// whose projects match *.spec.ts and *.e2e-spec.ts only.
const config: Config = {
  rootDir: '../..',
  transform: { '^.+\\.ts$': 'ts-jest' },
  moduleFileExtensions: ['ts', 'js', 'json'],
  testEnvironment: 'node',
  testMatch: ['<rootDir>/test/faults/**/*.fault-spec.ts'],
  testTimeout: 420_000,
  // A process or server left behind by a failed case must not keep the run alive.
  forceExit: true,
};

export default config;
