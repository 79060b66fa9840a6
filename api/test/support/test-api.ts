import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { startApi, type RunningApi } from '../../src/api-server.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/platform/logger.js';
import { createTestStore, REDIS_URL, TEST_JWT_SECRET, type TestStore } from './test-env.js';

export type EnvOverrides = Record<string, string | undefined>;

/** The environment a test API runs with: its own store, a known JWT key, quiet logs, no general rate limit. */
export function testEnvironment(store: TestStore, overrides: EnvOverrides = {}): EnvOverrides {
  return {
    NODE_ENV: 'test',
    PORT: '0',
    DATABASE_URL: store.databaseUrl,
    REDIS_URL,
    REDIS_KEY_PREFIX: store.redisKeyPrefix,
    JWT_SECRET: TEST_JWT_SECRET,
    LOG_LEVEL: process.env['TEST_LOG_LEVEL'] ?? 'error',
    RATE_LIMIT_RPM: '0',
    ...overrides,
  };
}

export interface TestApi extends RunningApi {
  store: TestStore;
  /** Closes the API and removes its database and Redis keys. */
  stop(): Promise<void>;
}

/** Starts a real API in this process against real MariaDB (or SQLite) and Redis. */
export async function startTestApi(
  overrides: EnvOverrides = {},
  store: TestStore = createTestStore(),
): Promise<TestApi> {
  const config = loadConfig(testEnvironment(store, overrides));
  const logger = createLogger({ level: config.logLevel, serviceName: 'vitrine-api-test' });
  const api = await startApi(config, logger);
  return {
    ...api,
    store,
    async stop() {
      await api.close();
      await store.destroy();
    },
  };
}

const mainScript = fileURLToPath(new URL('../../src/main.ts', import.meta.url));

export interface ApiProcess {
  url: string;
  child: ChildProcess;
  output: () => string;
  /** SIGTERM, then waits for the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts the API as a separate OS process (as `npm run start -w api` would), for multi-process tests. */
export async function spawnApiProcess(env: EnvOverrides): Promise<ApiProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', mainScript], {
    env: { ...process.env, ...env, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const listening = new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /API listening on (http:\/\/[0-9.:]+)/.exec(output);
      if (match?.[1]) resolve(match[1]);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`API process exited with ${code}:\n${output}`)));
  });
  const timeout = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const url = await listening.finally(() => clearTimeout(timeout));
  return {
    url,
    child,
    output: () => output,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      const [code] = (await once(child, 'exit')) as [number | null];
      return code;
    },
  };
}
