import { startApi, API_VERSION } from './api-server.js';
import { ConfigError, loadConfig } from './config.js';
import { createLogger } from './platform/logger.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel, serviceName: 'vitrine-api' });
  if (config.auth.jwtSecret.length < 32 || config.env !== 'production') {
    logger.debug('running outside production: development secrets may be in use');
  }
  const api = await startApi(config, logger);
  logger.info(`API listening on ${api.url}`, { service: { version: API_VERSION }, url: { port: api.port } });

  const shutdown = (signal: string) => {
    logger.info('shutting down', { event: { action: 'shutdown' }, process: { signal } });
    // A request stuck longer than this would hold the deploy hostage; exit anyway.
    setTimeout(() => process.exit(1), 15_000).unref();
    api.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error('shutdown failed', { err: error });
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
  } else {
    const logger = createLogger({ level: 'error', serviceName: 'vitrine-api' });
    logger.error('API failed to start', { err: error });
  }
  process.exitCode = 1;
  setTimeout(() => process.exit(1), 100).unref();
});
