// Prometheus metrics (prom-client): counters fed by the runtime's events, gauges read from one
// status() snapshot per scrape (so a scrape during a reload sees one generation), served on their
// own listener. Labels come from the config (group names, ServerName) and numbers, never from a
// client: paths and Host headers are not labels.
import http, { type Server } from 'node:http';
import { once } from 'node:events';
import { AggregatorRegistry, Counter, Gauge, Histogram, Registry, collectDefaultMetrics, type MetricObjectWithValues, type MetricValue } from 'prom-client';
import type { RuntimeEvents } from '../runtime/events.js';
import type { RuntimeStatus } from '../runtime/runtime.js';
import { ScriptAliasError } from '../errors.js';

export interface MetricsSource {
  readonly events: RuntimeEvents;
  status(): RuntimeStatus | Promise<RuntimeStatus>;
  /** Cluster mode: every proxy process's request metrics (prom-client JSON), merged into the scrape. */
  proxyMetrics?(): Promise<readonly MetricJson[]>;
}

/** One registry's metrics as prom-client's getMetricsAsJSON() gives them (what crosses IPC). */
export type MetricJson = MetricObjectWithValues<MetricValue<string>>[];

/**
 * Which metrics this registry keeps. 'all': one proxy process. In a cluster the primary keeps the
 * pools' and reloads' ('primary': restarts, workers, slots, RSS, queue depth from the merged status)
 * and each proxy process the requests it answered ('proxy'); a scrape sums them.
 */
export type MetricsPart = 'all' | 'primary' | 'proxy';

const OURS = ['scriptalias_requests_total', 'scriptalias_request_duration_seconds', 'scriptalias_queue_wait_seconds', 'scriptalias_queue_depth', 'scriptalias_slots',
  'scriptalias_workers', 'scriptalias_worker_restarts_total', 'scriptalias_worker_resident_memory_bytes', 'scriptalias_reloads_total', 'scriptalias_config_generation'];
const PROXY_METRICS = new Set(['scriptalias_requests_total', 'scriptalias_request_duration_seconds', 'scriptalias_queue_wait_seconds']);
const PRIMARY_METRICS = new Set(OURS.filter((name) => !PROXY_METRICS.has(name)));

const RESTART_REASONS = ['crash', 'maximumRequests', 'timeout', 'memory', 'reload'] as const;
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const QUEUE_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class ScriptAliasMetrics {
  readonly registry = new Registry();
  readonly #source: MetricsSource;
  readonly #part: MetricsPart;
  readonly #detach: () => void;
  #scraping: Promise<unknown> = Promise.resolve();

  readonly #requests = new Counter({ name: 'scriptalias_requests_total', help: 'Requests the plugin answered, by virtual host (its ServerName), process group and HTTP status.', labelNames: ['vhost', 'group', 'code'], registers: [this.registry] });
  readonly #duration = new Histogram({ name: 'scriptalias_request_duration_seconds', help: 'Time from the request reaching the plugin to the last byte of the answer.', labelNames: ['group'], buckets: DURATION_BUCKETS, registers: [this.registry] });
  readonly #queueWait = new Histogram({ name: 'scriptalias_queue_wait_seconds', help: 'Time a request waited for a free slot of its process group (0 when one was free).', labelNames: ['group'], buckets: QUEUE_BUCKETS, registers: [this.registry] });
  readonly #queueDepth = new Gauge({ name: 'scriptalias_queue_depth', help: 'Requests waiting for a free slot now.', labelNames: ['group'], registers: [this.registry] });
  readonly #slots = new Gauge({ name: 'scriptalias_slots', help: 'Request slots (processes x threads) of the current generation, busy or free.', labelNames: ['group', 'state'], registers: [this.registry] });
  readonly #workers = new Gauge({ name: 'scriptalias_workers', help: 'Worker processes of the current generation by state.', labelNames: ['group', 'state'], registers: [this.registry] });
  readonly #restarts = new Counter({ name: 'scriptalias_worker_restarts_total', help: 'Worker processes replaced, by reason.', labelNames: ['group', 'reason'], registers: [this.registry] });
  readonly #rss = new Gauge({ name: 'scriptalias_worker_resident_memory_bytes', help: 'Resident memory of each worker process.', labelNames: ['group', 'pid'], registers: [this.registry] });
  readonly #reloads = new Counter({ name: 'scriptalias_reloads_total', help: 'Config reloads by result.', labelNames: ['result'], registers: [this.registry] });
  readonly #generation = new Gauge({ name: 'scriptalias_config_generation', help: 'The config generation being served (1 at start, +1 per applied reload).', registers: [this.registry] });

  constructor(source: MetricsSource, part: MetricsPart = 'all') {
    this.#source = source;
    this.#part = part;
    collectDefaultMetrics({ register: this.registry });
    const keep = part === 'proxy' ? PROXY_METRICS : part === 'primary' ? PRIMARY_METRICS : null;
    if (keep) for (const name of OURS) if (!keep.has(name)) this.registry.removeSingleMetric(name);
    // These three are gauges named *_total, which `promtool check metrics` rejects; the same counts
    // stay available by type as nodejs_active_handles / _requests / _resources.
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) this.registry.removeSingleMetric(name);
    for (const result of ['applied', 'failed']) this.#reloads.inc({ result }, 0);
    const onRequest = ({ vhost, group, code, seconds }: { vhost: string; group: string; code: number; seconds: number }): void => {
      this.#requests.inc({ vhost, group, code: String(code) });
      this.#duration.observe({ group }, seconds);
    };
    const onQueueWait = ({ group, seconds }: { group: string; seconds: number }): void => this.#queueWait.observe({ group }, seconds);
    const onRestart = ({ group, reason }: { group: string; reason: string }): void => this.#restarts.inc({ group, reason });
    const onReload = ({ result }: { result: string }): void => this.#reloads.inc({ result });
    source.events.on('request', onRequest);
    source.events.on('queueWait', onQueueWait);
    source.events.on('restart', onRestart);
    source.events.on('reload', onReload);
    this.#detach = () => {
      source.events.off('request', onRequest);
      source.events.off('queueWait', onQueueWait);
      source.events.off('restart', onRestart);
      source.events.off('reload', onReload);
    };
  }

  /** The exposition text. Scrapes run one at a time: the gauges are one snapshot while serialized. */
  scrape(): Promise<string> {
    const next = this.#scraping.then(async () => {
      this.#snapshot(await this.#source.status());
      if (!this.#source.proxyMetrics) return this.registry.metrics();
      // Counters and histograms add up over the proxies; default process metrics use prom-client's own rule.
      const parts = await this.#source.proxyMetrics();
      return AggregatorRegistry.aggregate([await this.registry.getMetricsAsJSON(), ...parts] as MetricJson[]).metrics();
    });
    this.#scraping = next.catch(() => undefined);
    return next;
  }

  /** This registry's metrics as JSON (a cluster proxy's answer to the primary). */
  async json(): Promise<MetricJson> {
    return (await this.registry.getMetricsAsJSON()) as MetricJson;
  }

  #snapshot(status: RuntimeStatus): void {
    if (this.#part === 'proxy') return;
    this.#generation.set(status.generation);
    for (const gauge of [this.#queueDepth, this.#slots, this.#workers, this.#rss]) gauge.reset();
    for (const executor of Object.values(status.executors)) {
      if (executor.kind !== 'process-group') continue;
      const group = executor.processGroup;
      // Counters start at 0 for every known reason, so rate() works from the first restart.
      for (const reason of RESTART_REASONS) this.#restarts.inc({ group, reason }, 0);
      this.#queueDepth.inc({ group }, executor.queued);
      const live = executor.processes.filter((p) => p.state === 'ready');
      const total = live.length * (executor.threadsPerProcess ?? 1);
      const busy = live.reduce((n, p) => n + p.inFlight, 0);
      this.#slots.inc({ group, state: 'busy' }, busy);
      this.#slots.inc({ group, state: 'free' }, Math.max(0, total - busy));
      for (const state of ['starting', 'ready', 'draining']) this.#workers.inc({ group, state }, 0);
      for (const p of executor.processes) {
        if (p.state !== 'stopped') this.#workers.inc({ group, state: p.state });
        if (p.rssBytes !== null) this.#rss.set({ group, pid: String(p.pid) }, p.rssBytes);
      }
    }
  }

  close(): void {
    this.#detach();
  }
}

export interface MetricsServer {
  readonly host: string;
  readonly port: number;
  /** http://host:port (the bound port), what logs and the state file show. */
  readonly url: string;
  /** Starts answering /metrics from `source` (until then: 503). */
  attach(source: MetricsSource, part?: MetricsPart): void;
  close(): Promise<void>;
}

/**
 * Binds the metrics listener first (serve calls it before anything else starts), so an address that
 * cannot be bound fails with one coded line; requests get 503 until the runtime is attached.
 */
export async function listenMetrics(listen: { host: string; port: number }): Promise<MetricsServer> {
  let metrics: ScriptAliasMetrics | null = null;
  const server: Server = http.createServer((req, res) => {
    const url = (req.url ?? '').split('?')[0];
    if (req.method !== 'GET' || url !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try GET /metrics\n');
      return;
    }
    if (!metrics) {
      res.writeHead(503, { 'content-type': 'text/plain', 'retry-after': '1' }).end('starting\n');
      return;
    }
    const registry = metrics.registry;
    metrics.scrape().then((text) => {
      res.writeHead(200, { 'content-type': registry.contentType, 'content-length': Buffer.byteLength(text) }).end(text);
    }, (err: unknown) => {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(`${String(err)}\n`);
    });
  });
  const address = listen.host.includes(':') ? `[${listen.host}]:${listen.port}` : `${listen.host}:${listen.port}`;
  try {
    if (listen.port > 65535) throw new Error('port above 65535');
    server.listen(listen.port, listen.host);
    await Promise.race([once(server, 'listening'), once(server, 'error').then(([err]) => { throw err; })]);
  } catch (err) {
    server.close();
    const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new ScriptAliasError('SA_ERR_OPS_METRICS_LISTEN', `metrics listener cannot bind ${address}: ${reason}`, { cause: err });
  }
  const bound = server.address();
  const port = typeof bound === 'object' && bound ? bound.port : listen.port;
  return {
    host: listen.host,
    port,
    url: `http://${listen.host.includes(':') ? `[${listen.host}]` : listen.host}:${port}`,
    attach(source, part = 'all') {
      metrics?.close();
      metrics = new ScriptAliasMetrics(source, part);
    },
    async close() {
      metrics?.close();
      metrics = null;
      server.close();
      server.closeAllConnections();
    },
  };
}
