import { parseArgs } from 'node:util';
import { CreateProductBody } from '@vitrine/contracts';
import { startApi } from '../api-server.js';
import { ConfigError, loadConfig } from '../config.js';
// The seed is an entry point like main.ts (it only lives in a folder of its own), not a domain module.
// eslint-disable-next-line no-restricted-imports
import { createLogger } from '../platform/logger.js';
import { demoProducts } from './demo-catalog.js';

const USAGE = 'usage: npm run seed -w api -- [--count N] [--force]';

/**
 * `npm run seed -w api`: loads the demo catalog through the catalog service (so stock, the ledger
 * and the cache versions are right), against the database and Redis the configuration names.
 * Skips when products exist already, unless `--force`.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { count: { type: 'string', default: '300' }, force: { type: 'boolean', default: false } },
  });
  const count = Number(values.count);
  if (!Number.isInteger(count) || count < 1 || count > 100_000)
    throw new ConfigError(`--count must be 1..100000; ${USAGE}`);

  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel, serviceName: 'vitrine-seed' });
  // The API's own wiring, so the seed uses exactly the services the API does; no workers, any free port.
  const api = await startApi({ ...config, port: 0, runWorkers: false }, logger);
  try {
    const catalog = api.services.catalog;
    const existing = await catalog.countListed();
    if (existing > 0 && !values.force) {
      logger.info(`catalog already has ${existing} products; nothing seeded (--force adds more anyway)`, {
        seed: { existing },
      });
      return;
    }

    const products = demoProducts(count).map((product) => CreateProductBody.parse(product));
    // SQLite has one writer at a time; MariaDB takes a few concurrent transactions gladly.
    const concurrency = api.sequelize.getDialect() === 'sqlite' ? 1 : 8;
    const started = Date.now();
    let next = 0;
    let created = 0;
    const worker = async () => {
      while (next < products.length) {
        const product = products[next++]!;
        await catalog.create(product);
        created++;
        if (created % 250 === 0 || created === products.length) {
          logger.info(`seeded ${created}/${products.length} products`, { seed: { created, total: products.length } });
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    logger.info(`demo catalog seeded: ${created} products in ${Date.now() - started} ms`, {
      seed: { created, durationMs: Date.now() - started },
    });
  } finally {
    await api.close();
  }
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
  } else {
    createLogger({ level: 'error', serviceName: 'vitrine-seed' }).error('seed failed', { err: error });
  }
  process.exitCode = 1;
});
