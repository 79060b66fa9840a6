// A minimal Socket.IO v4 client (Engine.IO 4 over WebSocket only, default namespace), for holding
// thousands of connections in one benchmark process. socket.io-client spends far more CPU per
// message; with 10,000 sockets in one process its own queue, not the server, would set the measured
// latency. The protocol is the real one, so the server cannot tell the difference; the benchmark
// also runs a few real socket.io-client sockets alongside as a cross-check.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
// ws is the realtime server's own WebSocket library (through socket.io); resolve it from there.
const WebSocket = createRequire(join(root, 'realtime/package.json'))('ws');

/**
 * Opens one socket and resolves once the Socket.IO CONNECT is accepted. `onEvent(name, payload,
 * receivedAt)` gets every server event; `receivedAt` is taken before parsing.
 */
export function connectLight(url, { auth, onEvent, timeoutMs = 20_000 } = {}) {
  const target = `${url.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`;
  const ws = new WebSocket(target, { perMessageDeflate: false });
  const pendingAcks = new Map();
  let nextAckId = 0;

  const socket = {
    ws,
    /** Emits an event and resolves with the server's ack. */
    emitWithAck(event, payload, ackTimeoutMs = 20_000) {
      const id = nextAckId++;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          pendingAcks.delete(id);
          reject(new Error(`no ack for ${event} within ${ackTimeoutMs} ms`));
        }, ackTimeoutMs);
        pendingAcks.set(id, (answer) => {
          clearTimeout(timer);
          resolve(answer);
        });
        ws.send(`42${id}${JSON.stringify([event, payload])}`);
      });
    },
    close() {
      ws.terminate();
    },
  };

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error('connect timed out'));
    }, timeoutMs);
    ws.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    ws.on('message', (data) => {
      const receivedAt = Date.now();
      const text = data.toString();
      switch (text[0]) {
        case '0': // Engine.IO open: connect to the default namespace
          ws.send(auth ? `40${JSON.stringify(auth)}` : '40');
          return;
        case '2': // Engine.IO ping
          ws.send('3');
          return;
        case '4':
          break;
        default:
          return;
      }
      const type = text[1];
      if (type === '0') {
        clearTimeout(timer);
        resolve(socket);
      } else if (type === '4') {
        clearTimeout(timer);
        ws.terminate();
        reject(new Error(JSON.parse(text.slice(2)).message));
      } else if (type === '2') {
        const [name, payload] = JSON.parse(text.slice(2));
        onEvent?.(name, payload, receivedAt);
      } else if (type === '3') {
        const bracket = text.indexOf('[');
        const id = Number(text.slice(2, bracket));
        const [answer] = JSON.parse(text.slice(bracket));
        pendingAcks.get(id)?.(answer);
        pendingAcks.delete(id);
      }
    });
  });
}
