// Ports for servers a test starts as other processes (etcd, the conformance oracle's proxies). Those
// bind later, so a port comes from below the kernel's ephemeral range (no bind(0) and no outgoing
// connection takes it meanwhile: "address already in use" on a restart) and is claimed with a lock
// file in tmpdir, because test files run side by side in separate processes and pick from that range.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** The lowest port the kernel hands out for bind(0) and outgoing connections. */
function ephemeralStart(): number {
  try {
    const [first] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/);
    const port = Number(first);
    return Number.isInteger(port) && port > 12_000 ? port : 32_768;
  } catch {
    return 32_768;
  }
}

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A port nothing listens on now and no other test process has claimed; `release` frees the claim. */
export async function claimPort(): Promise<{ port: number; release: () => void }> {
  const first = ephemeralStart();
  for (let attempt = 0; attempt < 500; attempt++) {
    const port = 10_000 + Math.floor(Math.random() * (first - 10_000));
    const lock = path.join(os.tmpdir(), `scriptalias-test-port-${port}`);
    try {
      writeFileSync(lock, String(process.pid), { flag: 'wx' });
    } catch {
      continue; // claimed by another run (or left by a crashed one: there are thousands more)
    }
    if (await bindable(port)) return { port, release: () => rmSync(lock, { force: true }) };
    rmSync(lock, { force: true });
  }
  throw new Error('no free port below the ephemeral range');
}

const heldUntilExit: Array<() => void> = [];

/** claimPort() for a port this process keeps until it exits (an etcd stopped and started again on it). */
export async function freePort(): Promise<number> {
  const { port, release } = await claimPort();
  if (heldUntilExit.length === 0) process.once('exit', () => { for (const free of heldUntilExit) free(); });
  heldUntilExit.push(release);
  return port;
}
