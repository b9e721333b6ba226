// Holds COUNT slowloris connections to 127.0.0.1:PORT: each sends a partial request head at once,
// then one more byte every second (spread over the second), never finishing it. Prints one JSON line
// {held} once every connection is open, then {open, closed, answered408} whenever asked on stdin (any
// line); exits on stdin end. Loopback only. Usage: node hold.mjs PORT [COUNT=1000]
import net from 'node:net';
import readline from 'node:readline';

const port = Number(process.argv[2]);
const count = Number(process.argv[3] ?? 1000);
if (!Number.isInteger(port) || port <= 0) { console.error('usage: node hold.mjs PORT [COUNT]'); process.exit(2); }
const DRIP = 'X-Slowloris: 1\r\n';
const sockets = new Set();
let connected = 0, closed = 0, answered408 = 0, failed = 0;

await Promise.all(Array.from({ length: count }, (_, i) => new Promise((resolve) => {
  const socket = net.connect(port, '127.0.0.1', () => { connected++; socket.write('GET /hello HTTP/1.1\r\nHost: localhost\r\n'); resolve(); });
  let step = 0;
  socket.on('data', (chunk) => { if (String(chunk).startsWith('HTTP/1.1 408')) answered408++; });
  socket.on('error', () => { failed++; resolve(); });
  socket.on('close', () => { closed++; sockets.delete(socket); clearTimeout(socket.start); clearInterval(socket.drip); });
  // Spread the drips over the second so the proxy sees a steady trickle, not a burst.
  socket.start = setTimeout(() => { socket.drip = setInterval(() => socket.write(DRIP[step++ % DRIP.length]), 1000); }, (i * 1000) / count);
  sockets.add(socket);
})));
const report = () => console.log(JSON.stringify({ held: sockets.size, connected, closed, answered408, failed }));
report();
readline.createInterface({ input: process.stdin }).on('line', report).on('close', () => {
  for (const socket of sockets) socket.destroy();
  process.exit(0);
});
