import { ConfigError, loadConfig, type Config } from './config.js';
import { createLogger } from './logger.js';
import { createRealtimeServer } from './server.js';

const SHUTDOWN_GRACE_MS = 10_000;

let config: Config;
try {
  config = loadConfig();
} catch (error) {
  // No logger exists yet (its level is configuration too), so this one line goes straight to stderr.
  const message = error instanceof ConfigError ? error.message : `Invalid configuration: ${String(error)}`;
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

const logger = createLogger(config);
const server = createRealtimeServer(config, logger);

let stopping = false;
async function shutdown(signal: NodeJS.Signals): Promise<void> {
  if (stopping) {
    logger.warn('second signal during shutdown, exiting now', { signal });
    process.exit(1);
  }
  stopping = true;
  logger.info('realtime shutting down', { signal });
  // A stuck connection must not keep a terminated container alive past its grace period.
  setTimeout(() => {
    logger.error('shutdown timed out, exiting');
    process.exit(1);
  }, SHUTDOWN_GRACE_MS).unref();
  try {
    await server.close();
    logger.info('realtime stopped');
  } catch (error) {
    logger.error('shutdown failed', { err: error });
    process.exitCode = 1;
  }
}

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => void shutdown(signal));
}

try {
  const { port } = await server.listen();
  logger.info('realtime listening', { port, api: { url: config.apiUrl } });
} catch (error) {
  logger.error('realtime failed to start', { err: error });
  await server.close().catch(() => undefined);
  process.exitCode = 1;
}
