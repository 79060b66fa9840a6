#!/usr/bin/env node
// `npm start`: builds once, makes sure Redis answers (starting a local redis-server when one is
// installed), then runs the API, the realtime server and the web app together until Ctrl-C.
// With no DATABASE_URL the API uses an embedded SQLite file under api/.data/.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const redisUrl = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const children = [];

const say = (line) => process.stdout.write(`[vitrine] ${line}\n`);

function redisAnswers() {
  return new Promise((resolve) => {
    const socket = createConnection({ host: redisUrl.hostname, port: Number(redisUrl.port || 6379) });
    socket.setTimeout(1000);
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => {
      socket.destroy();
      resolve(data.toString().startsWith('+PONG'));
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

async function ensureRedis() {
  if (await redisAnswers()) return;
  const local = ['127.0.0.1', 'localhost'].includes(redisUrl.hostname);
  const installed = spawnSync('redis-server', ['--version']).status === 0;
  if (!local || !installed) {
    say(
      `Redis does not answer at ${redisUrl.href}: install it (Debian: apt-get install redis-server; macOS: brew install redis) or set REDIS_URL.`,
    );
    process.exit(1);
  }
  say(`starting a local redis-server on port ${redisUrl.port || 6379}`);
  children.push(
    spawn(
      'redis-server',
      ['--port', redisUrl.port || '6379', '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      {
        stdio: 'ignore',
      },
    ),
  );
  for (let attempt = 0; attempt < 50 && !(await redisAnswers()); attempt++)
    await new Promise((r) => setTimeout(r, 100));
}

function start(name, workspace, env = {}) {
  const child = spawn('npm', ['run', 'start', '--silent', '-w', workspace], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  child.on('exit', (code, signal) => {
    if (!stopping) {
      say(`${name} stopped (${signal ?? code}); stopping the rest`);
      stop(code ?? 1);
    }
  });
  children.push(child);
}

let stopping = false;
function stop(code = 0) {
  stopping = true;
  for (const child of children) child.kill('SIGTERM');
  setTimeout(() => process.exit(code), 2000).unref();
}
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));

if (!process.argv.includes('--no-build') || !existsSync(`${root}/api/dist/main.js`)) {
  say('building (npm run build)');
  const build = spawnSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
}
/**
 * The development mail server: aws-ses-v2-local (port 8005) answers the SES API, keeps every message
 * and shows them at http://127.0.0.1:8005. Skipped when SES_ENDPOINT points elsewhere already, or when
 * dev dependencies are not installed.
 */
function startSesEmulator() {
  if (process.env.SES_ENDPOINT) return process.env.SES_ENDPOINT;
  const binary = join(root, 'node_modules', '.bin', 'aws-ses-v2-local');
  if (!existsSync(binary)) {
    say('aws-ses-v2-local is not installed (npm install); email is off');
    return undefined;
  }
  const port = process.env.SES_PORT ?? '8005';
  const child = spawn(binary, ['--port', port, '--host', '127.0.0.1'], { stdio: 'ignore' });
  child.on('exit', (code) => {
    if (!stopping) say(`aws-ses-v2-local stopped (${code}); is port ${port} taken? The API keeps retrying its mail`);
  });
  children.push(child);
  return `http://127.0.0.1:${port}`;
}

await ensureRedis();
const sesEndpoint = startSesEmulator();
start('api', 'api', { PORT: process.env.API_PORT ?? '4000', ...(sesEndpoint ? { SES_ENDPOINT: sesEndpoint } : {}) });
start('realtime', 'realtime', { PORT: process.env.REALTIME_PORT ?? '4001' });
start('web', 'web', { PORT: process.env.WEB_PORT ?? '3000', API_URL: process.env.API_URL ?? 'http://127.0.0.1:4000' });
say('storefront on http://localhost:3000 · API http://localhost:4000/api (docs at /api/docs) · realtime :4001');
if (sesEndpoint && !process.env.SES_ENDPOINT) say(`mail the demo sends: ${sesEndpoint}`);
