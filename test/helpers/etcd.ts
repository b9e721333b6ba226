// A real etcd (Debian's etcd-server, /usr/bin/etcd) on 127.0.0.1: free client and peer ports, a temp
// data folder, ready once /health says so, killed at teardown. stop() and start() keep the folder, so
// a test can take it away and bring it back (on another client port too) with its data.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import http from 'node:http';
import type { ExecutionContext } from 'ava';
import { Etcd3 } from 'etcd3';
import { tempDir } from './proxy.js';
import { waitFor } from './events.js';
import { freePort } from './ports.js';

export const ETCD_BIN = '/usr/bin/etcd';

function healthy(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    http.get({ host: '127.0.0.1', port, path: '/health', timeout: 1000 }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => { body += c.toString(); });
      res.on('end', () => resolve(res.statusCode === 200 && body.includes('"true"')));
    }).on('error', () => resolve(false)).on('timeout', function (this: http.ClientRequest) { this.destroy(); resolve(false); });
  });
}

export interface TestEtcd {
  readonly clientPort: number;
  /** etcd://127.0.0.1:PORT/KEY */
  url(key: string): string;
  put(key: string, value: string): Promise<void>;
  /** SIGTERM, resolved once it exited. */
  stop(): Promise<void>;
  /** Starts it again on its data folder; `clientPort` for a one-off run on another port. */
  start(clientPort?: number): Promise<void>;
}

export async function startEtcd(t: ExecutionContext, ports?: { client?: number }): Promise<TestEtcd> {
  const dataDir = path.join(tempDir(t, 'sa-etcd-'), 'data');
  const clientPort = ports?.client ?? await freePort();
  const peerPort = await freePort();
  let child: ChildProcess | null = null;
  let output = '';
  const clients = new Map<number, Etcd3>();
  t.teardown(async () => {
    for (const client of clients.values()) client.close();
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
  });
  const peer = `http://127.0.0.1:${peerPort}`;
  let current = clientPort;
  const start = async (port = clientPort): Promise<void> => {
    const client = `http://127.0.0.1:${port}`;
    output = '';
    const proc = spawn(ETCD_BIN, [
      '--name', 'sa-test', '--data-dir', dataDir,
      '--listen-client-urls', client, '--advertise-client-urls', client,
      '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer,
      '--initial-cluster', `sa-test=${peer}`, '--log-level', 'warn', '--logger', 'zap',
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    current = port;
    proc.stdout!.on('data', (c: Buffer) => { output += c.toString(); });
    proc.stderr!.on('data', (c: Buffer) => { output += c.toString(); });
    await waitFor('etcd healthy', async () => {
      if (proc.exitCode !== null) throw new Error(`etcd exited ${proc.exitCode}: ${output}`);
      return (await healthy(port)) ? true : undefined;
    }, 20_000);
  };
  const clientFor = (port: number): Etcd3 => {
    let client = clients.get(port);
    if (!client) {
      client = new Etcd3({ hosts: `http://127.0.0.1:${port}` });
      clients.set(port, client);
    }
    return client;
  };
  await start();
  return {
    clientPort,
    url: (key) => `etcd://127.0.0.1:${clientPort}/${key}`,
    async put(key, value) {
      await clientFor(current).put(key).value(value).exec();
    },
    async stop() {
      const proc = child;
      if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGTERM');
      await once(proc, 'exit');
    },
    start,
  };
}
