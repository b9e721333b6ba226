// startProxy(config) → a real redbird + plugin on 127.0.0.1, port 0, with teardown registered first.
// Tests reach the engine only through plugin/ (serve + the handle's status()).
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import type { ExecutionContext } from 'ava';
import { serve, type RunningProxy } from '../../plugin/serve.js';
import { serveCluster, type RunningCluster } from '../../plugin/cluster/primary.js';
import { silentLogger, createLogger } from '../../src/log.js';

export interface TestProxy {
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  readonly configFile: string;
  readonly running: RunningProxy;
}

/** A temp folder removed at teardown. */
export function tempDir(t: ExecutionContext, prefix = 'sa-test-'): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Writes `files` (relative path → content) under dir. */
export function writeTree(dir: string, files: Readonly<Record<string, string>>): void {
  for (const [rel, content] of Object.entries(files)) {
    const file = path.join(dir, rel);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, content);
  }
}

/** Starts a proxy for `config` (the whole proxy file; `proxy.port` is forced to 0) in `dir`. */
export async function startProxy(t: ExecutionContext, config: Record<string, unknown>, dir = tempDir(t), options: { watch?: boolean; verbose?: boolean } = {}): Promise<TestProxy> {
  const configFile = path.join(dir, 'proxy.json');
  const proxy = { ...(config.proxy as object | undefined), port: 0, host: '127.0.0.1' };
  writeFileSync(configFile, JSON.stringify({ ...config, proxy }, null, 2));
  const log = options.verbose ? createLogger({ level: 'debug' }) : silentLogger();
  const running = await serve(configFile, { log, port: 0, watch: options.watch ?? false });
  t.teardown(() => running.destroy());
  return { url: running.url, port: running.port, dir, configFile, running };
}

export interface TestCluster {
  readonly url: string;
  readonly dir: string;
  readonly configFile: string;
  readonly running: RunningCluster;
}

/** Like startProxy with `proxy.cluster: proxies`: this test process is the primary (node:cluster). */
export async function startCluster(t: ExecutionContext, config: Record<string, unknown>, proxies: number, dir = tempDir(t), options: { watch?: boolean } = {}): Promise<TestCluster> {
  const configFile = path.join(dir, 'proxy.json');
  const proxy = { ...(config.proxy as object | undefined), port: 0, host: '127.0.0.1', cluster: proxies };
  writeFileSync(configFile, JSON.stringify({ ...config, proxy }, null, 2));
  const running = await serveCluster(configFile, { log: silentLogger(), port: 0, watch: options.watch ?? false, logLevel: 'silent', logFormat: 'json' });
  t.teardown(() => running.destroy());
  return { url: running.url, dir, configFile, running };
}

export interface SimpleResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

/** One HTTP request with a raw path (sent as written), no keep-alive. */
export function request(url: string, rawPath: string, options: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {}): Promise<SimpleResponse> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: hostname, port, path: rawPath, method: options.method ?? 'GET', headers: options.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

export async function json<T = Record<string, unknown>>(url: string, rawPath: string, options: Parameters<typeof request>[2] = {}): Promise<{ status: number; body: T }> {
  const res = await request(url, rawPath, options);
  return { status: res.status, body: JSON.parse(res.body) as T };
}

/** POSTs `mib` MiB (written with backpressure, chunked) and returns the answer body. */
export function uploadMiB(url: string, rawPath: string, mib: number): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: hostname, port, path: rawPath, method: 'POST' }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => { body += c.toString(); });
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
    const chunk = Buffer.alloc(1 << 20, 97);
    let left = mib;
    const pump = (): void => {
      while (left > 0) {
        left--;
        if (!req.write(chunk)) { req.once('drain', pump); return; }
      }
      req.end();
    };
    pump();
  });
}

/** GETs a path and counts the body bytes without keeping them. */
export function downloadBytes(url: string, rawPath: string): Promise<number> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    http.get({ host: hostname, port, path: rawPath }, (res) => {
      let n = 0;
      res.on('data', (c: Buffer) => { n += c.length; });
      res.on('end', () => resolve(n));
    }).on('error', reject);
  });
}
