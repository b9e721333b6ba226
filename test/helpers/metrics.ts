// A metrics listener as Prometheus sees it: GET /metrics, one sample by name and exact labels, and
// `promtool check metrics` (Debian's prometheus package; .ci/run installs it) on the exposition.
import http from 'node:http';
import { spawnSync } from 'node:child_process';
import type { ExecutionContext } from 'ava';

export function scrape(metricsUrl: string): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    http.get(`${metricsUrl}/metrics`, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => { body += c.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }));
    }).on('error', reject);
  });
}

/** The value of one sample: `name` with exactly these labels (in any order), or undefined. */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got: Record<string, string> = {};
    for (const [, key, value] of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) got[key!] = value!;
    if (Object.keys(got).length === Object.keys(labels).length && Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[3]);
  }
  return undefined;
}

export function promtool(t: ExecutionContext, text: string): void {
  const out = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  if (out.error) {
    t.fail(`promtool is missing (Debian package "prometheus"; .ci/run installs it): ${out.error.message}`);
    return;
  }
  t.is(out.status, 0, `promtool check metrics: ${out.stdout}${out.stderr}`);
}
