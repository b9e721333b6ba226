// `scriptalias status` for people (like `pm2 ls`): one row per group, one per process under it,
// then the generation, its config file and the last reload. `--json` prints the status as is.
import type { RuntimeStatus } from '../src/runtime/runtime.js';
import type { ExecutorStatus, ProcessStatus } from '../src/executor/executor.js';
import type { ClusterStatus } from '../src/cluster/merge-status.js';

const HEAD = ['GROUP', 'KIND', 'PID', 'STATE', 'SLOTS', 'QUEUE', 'SERVED', 'RESTARTS', 'RSS MiB', 'UPTIME'];

export function formatUptime(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86400)}d ${Math.floor((s % 86400) / 3600)}h`;
}

function restarts(executor: ExecutorStatus): string {
  const reasons = Object.entries(executor.restartsByReason ?? {}).filter(([, n]) => (n ?? 0) > 0);
  if (reasons.length === 0) return String(executor.restarts);
  return `${executor.restarts} (${reasons.map(([reason, n]) => `${reason} ${n}`).join(', ')})`;
}

function mib(bytes: number | null): string {
  return bytes === null ? '-' : (bytes / 1048576).toFixed(1);
}

function groupRow(executor: ExecutorStatus): string[] {
  const threads = executor.threadsPerProcess;
  const live = executor.processes.filter((p) => p.state !== 'stopped');
  const slots = threads === undefined ? String(executor.inFlight) : `${executor.inFlight}/${live.filter((p) => p.state === 'ready').length * threads}`;
  const rss = live.reduce<number | null>((sum, p) => (p.rssBytes === null ? sum : (sum ?? 0) + p.rssBytes), null);
  const name = executor.processGroup === '' ? '%{GLOBAL}' : executor.processGroup;
  return [name, `${executor.kind} ${executor.runtime}`, '', executor.state, slots, String(executor.queued), String(executor.served), restarts(executor), mib(rss), ''];
}

function processRow(p: ProcessStatus, threads: number | undefined, now: number): string[] {
  const slots = threads === undefined ? String(p.inFlight) : `${p.inFlight}/${threads}`;
  return [`  slot ${p.slot}`, '', String(p.pid), p.state, slots, '', String(p.served), '', mib(p.rssBytes), p.startedAt ? formatUptime(now - p.startedAt) : '-'];
}

function table(rows: string[][]): string {
  const widths = HEAD.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n') + '\n';
}

export function formatStatus(status: RuntimeStatus, now = Date.now()): string {
  const rows: string[][] = [HEAD];
  const executors = Object.entries(status.executors).sort(([a], [b]) => a.localeCompare(b));
  for (const [, executor] of executors) {
    rows.push(groupRow(executor));
    for (const p of executor.processes) rows.push(processRow(p, executor.threadsPerProcess, now));
  }
  const last = status.lastReload;
  const reload = last === null ? 'none since start'
    : last.applied ? `applied (generation ${last.generation})${last.needsRestart.length > 0 ? `; needs a restart: ${last.needsRestart.join(', ')}` : ''}`
      : `failed${last.error ? `: ${last.error.message}${last.error.code ? ` [${last.error.code}]` : ''}` : ''} (still serving generation ${last.generation})`;
  // Cluster mode: the proxy processes that share the port (their inline/isolate rows add up above).
  const proxies = (status as Partial<ClusterStatus>).proxies;
  const cluster = proxies ? `proxies: ${proxies.length} (${proxies.map((p) => `#${p.index} pid ${p.pid}`).join(', ')})\n` : '';
  return `${table(rows)}\n${cluster}generation ${status.generation}  config ${status.configFile}\nlast reload: ${reload}\n`;
}
