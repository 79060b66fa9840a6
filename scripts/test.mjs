#!/usr/bin/env node
// The one test command (`npm test`): every suite against real MariaDB and Redis, then the API
// suites again against embedded SQLite. Each run gets its own id, so its databases and Redis
// keys never collide with another run's. Prints one closing line: "tests: N passed, N failed".
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const runId = process.env.VITRINE_TEST_RUN_ID ?? randomBytes(3).toString('hex');
const filter = process.argv.slice(2);

/** Node 20 does not expand globs for --test, so test files are listed here. */
function testFiles(dir) {
  return readdirSync(join(root, dir), { recursive: true })
    .map(String)
    .filter((file) => file.endsWith('.test.ts') && !file.includes('node_modules') && !file.includes('.tmp.'))
    .map((file) => join(dir, file))
    .filter((file) => filter.length === 0 || filter.some((wanted) => file.includes(wanted)))
    .sort();
}

const suites = [
  {
    name: 'api on MariaDB',
    cwd: 'api',
    files: [...testFiles('api/src'), ...testFiles('api/test')],
    env: { TEST_DATABASE: 'mysql' },
  },
  {
    name: 'api on SQLite',
    cwd: 'api',
    files: [...testFiles('api/src'), ...testFiles('api/test')],
    env: { TEST_DATABASE: 'sqlite' },
  },
  { name: 'realtime', cwd: 'realtime', files: testFiles('realtime/test'), env: {} },
  { name: 'e2e', cwd: 'e2e', files: testFiles('e2e'), env: {} },
];

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', ...options });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

run('npm', ['run', 'build', '-w', 'contracts', '--silent']);

const reports = mkdtempSync(join(tmpdir(), 'vitrine-test-'));
let passed = 0;
let failed = 0;
let broken = false;
for (const suite of suites) {
  if (suite.files.length === 0) continue;
  process.stdout.write(`\n=== ${suite.name}: ${suite.files.length} files (run ${runId}) ===\n`);
  const tap = join(reports, `${suite.name.replaceAll(' ', '-')}.tap`);
  const result = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      '--test',
      '--test-concurrency=3',
      '--test-reporter=spec',
      '--test-reporter-destination=stdout',
      '--test-reporter=tap',
      `--test-reporter-destination=${tap}`,
      ...suite.files.map((file) => relative(suite.cwd, file)),
    ],
    { cwd: join(root, suite.cwd), stdio: 'inherit', env: { ...process.env, ...suite.env, VITRINE_TEST_RUN_ID: runId } },
  );
  const summary = readFileSync(tap, 'utf8');
  const count = (name) => Number(new RegExp(`^# ${name} (\\d+)$`, 'm').exec(summary)?.[1] ?? 0);
  passed += count('pass');
  failed += count('fail') + count('cancelled');
  if (result.status !== 0) broken = true;
}

process.stdout.write(`\ntests: ${passed} passed, ${failed} failed\n`);
process.exit(broken || failed > 0 || passed === 0 ? 1 : 0);
