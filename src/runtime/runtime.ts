// The runtime: owns the current generation and answers requests through it.
//
//   proxy.json → config/load → config/schema → config/directive + config/rules → config/resolve (frozen)
//     → runtime/generation: routing/alias-table + runtime/group-registry (executors; preloads run as
//       processes start) → plugin/redbird-adapter hands each request to handle()
//   a request: routing/match (via routing/safe-path) → executor/select → executor/inline |
//     isolate-pool | process-group (+ request-queue, protocol/http-bridge, worker/*) → response
//   a miss: handle() returns false and redbird's own routes decide.
//
// Reload builds a whole new generation (new groups warm and ready) before one pointer swap; a request
// sees the old or the new generation, never a mix; the old one drains. Never half-applies.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ResolvedConfig, Runtime } from '../config/types.js';
import type { Executor, ExecutorStatus } from '../executor/executor.js';
import type { RouteDecision, ScriptTarget } from '../routing/types.js';
import { matchRequest, pickContext } from '../routing/match.js';
import { recordOf, type RequestRecord } from '../ops/request-record.js';
import { serveStatic } from '../routing/static-files.js';
import { selectExecutor } from '../executor/select.js';
import { buildJob, type JobFacts } from '../script/build-job.js';
import { connectionFacts } from './connection-facts.js';
import { groupSettings } from './plan.js';
import { buildGeneration, type Generation } from './generation.js';
import { GroupRegistry } from './group-registry.js';
import { createExecutor, type RemotePoolMaker } from './executor-factory.js';
import { createSocketRoot, sweepDeadSocketRoots } from './socket-root.js';
import { sendError, statusFor } from '../http-error.js';
import { ScriptAliasError, isScriptAliasError, serializeError, type ErrorCode, type SerializedError } from '../errors.js';
import { JOB_HEADER } from '../constants.js';
import { dropHeader, setHeader } from '../script/request-shape.js';
import type { ForwardedFacts } from '../routing/forwarded.js';
import type { Logger } from '../log.js';
import { checkHead, dropUnderscoreHeaders, guardBody, isRefusedConnection, limitsFor, refuse } from './request-limits.js';
import { RuntimeEvents } from './events.js';
import { adoptAuthority, isCompatHttp2 } from '../protocol/h2.js';
import { diffConfigs, type ConfigChanges } from '../config/diff.js';

export interface RuntimeOptions {
  readonly log: Logger;
  /** Cluster mode (a proxy process): named groups dispatch to the primary's pools. */
  readonly remotePool?: RemotePoolMaker;
}

export interface ReloadReport {
  readonly applied: boolean;
  readonly generation: number;
  /** Settings that changed but only take effect after a restart (proxy port/host). */
  readonly needsRestart: readonly string[];
  /** Groups and script aliases the new config adds, removes or changes (present when applied). */
  readonly changes?: ConfigChanges;
  readonly error?: SerializedError;
}

/** A request the runtime will answer, routed from its head (claim()); opaque to callers. */
export interface Claim {
  readonly generation: Generation;
  readonly decision: RouteDecision;
}

export interface RuntimeStatus {
  readonly generation: number;
  readonly configFile: string;
  readonly lastReload: ReloadReport | null;
  readonly executors: Readonly<Record<string, ExecutorStatus>>;
}

export class ScriptAliasRuntime {
  readonly #log: Logger;
  readonly #options: RuntimeOptions;
  readonly #registry: GroupRegistry;
  readonly #socketRoot: string;
  readonly #reqPrefix = `${process.pid.toString(36)}-`;
  #socketSeq = 0;
  #reqSeq = 0;
  #current!: Generation;
  /** Job facts per generation, runtime and process group (built once, read on every request). */
  readonly #facts = new WeakMap<Generation, Record<Runtime, Map<string, JobFacts>>>();
  #reloading: Promise<unknown> = Promise.resolve();
  #lastReload: ReloadReport | null = null;
  #closed = false;
  #closing: Promise<void> | null = null;
  /** Requests, restarts, queue waits and reloads, for metrics (src/ops/ listens). */
  readonly events = new RuntimeEvents();

  private constructor(options: RuntimeOptions) {
    this.#options = options;
    this.#log = options.log;
    this.#socketRoot = createSocketRoot();
    for (const dead of sweepDeadSocketRoots(os.tmpdir(), this.#socketRoot)) this.#log.info({ code: 'SA_EVT_SOCKET_SWEPT', folder: dead }, 'removed the socket folder of a proxy that no longer runs');
    const context = {
      log: this.#log,
      socketRoot: this.#socketRoot,
      nextSocketDir: () => path.join(this.#socketRoot, String(++this.#socketSeq)),
      hooks: this.events.hooks,
      ...(options.remotePool ? { remotePool: options.remotePool } : {}),
    };
    this.#registry = new GroupRegistry((planned) => createExecutor(planned, context));
  }

  static async create(config: ResolvedConfig, options: RuntimeOptions): Promise<ScriptAliasRuntime> {
    const runtime = new ScriptAliasRuntime(options);
    try {
      runtime.#install(await buildGeneration(config, { id: 1, registry: runtime.#registry, log: runtime.#log, strict: false }));
    } catch (err) {
      runtime.#removeSocketRoot();
      throw err;
    }
    for (const warning of config.warnings) runtime.#log.warn(warning, warning.message);
    return runtime;
  }

  /**
   * Routes a request from its head alone, before any request object exists (an HTTP/2 stream): null
   * when it is not ours, else what handle() then answers it with (the same generation and route).
   */
  claim(method: string, rawUrl: string, host: string | undefined): Claim | null {
    const generation = this.#current;
    const decision = matchRequest(generation.table, { method, rawUrl, host });
    return decision.kind === 'miss' ? null : { generation, decision };
  }

  /** Answers the request when a script alias, static alias or document root takes it; false = not
   *  ours. `claimed`: claim()'s answer for this request (its route is not looked up again). */
  handle(req: IncomingMessage, res: ServerResponse, claimed?: Claim): boolean {
    const generation = claimed ? claimed.generation : this.#current;
    // Pipelined behind a refused request on a connection that is closing: never run it (smuggling).
    if (isRefusedConnection(req)) return true;
    if (req.headers[JOB_HEADER] !== undefined) delete req.headers[JOB_HEADER];
    if (isCompatHttp2(req)) adoptAuthority(req);
    const decision = claimed ? claimed.decision : matchRequest(generation.table, { method: req.method ?? 'GET', rawUrl: req.url ?? '/', host: req.headers.host });
    const record = recordOf(res);
    if (record) this.#noteFacts(generation, decision, req, record);
    if (decision.kind === 'miss') return false;
    switch (decision.kind) {
      case 'script':
        this.#runScript(generation, decision, req, res, record);
        return true;
      case 'static':
        serveStatic(req, res, decision.file, (code) => this.#fail(res, code, this.#nextReqId(), decision.file));
        return true;
      case 'redirect':
        res.writeHead(decision.status, { location: decision.location, 'content-length': 0 });
        res.end();
        return true;
      case 'error':
        this.#fail(res, decision.code, this.#nextReqId(), decision.reason);
        return true;
    }
  }

  /** What the access log and metrics show of a request: vhost, alias and groups (the client is
   *  noted where the trusted-proxy rules run: #runScript, or here for the other answers). */
  #noteFacts(generation: Generation, decision: RouteDecision, req: IncomingMessage, record: RequestRecord): void {
    record.vhost = pickContext(generation.table, req.headers.host).serverName; // the same vhost rule as routing
    if (decision.kind !== 'script') {
      if (decision.kind !== 'miss') record.metricsGroup = '';
      this.#noteClient(generation, req, record);
      return;
    }
    record.metricsGroup = decision.processGroup;
    record.alias = decision.scriptName;
    record.processGroup = decision.processGroup === '' ? '%{GLOBAL}' : decision.processGroup;
    record.applicationGroup = decision.applicationGroup === '' ? '%{GLOBAL}' : decision.applicationGroup;
    // The proxy runs inline and isolate scripts; a process group puts its worker's pid here.
    record.workerPid = process.pid;
  }

  /** The client after the trusted-proxy rules, for answers that do not compute them anyway. */
  #noteClient(generation: Generation, req: IncomingMessage, record: RequestRecord): void {
    if (!generation.forwarding.active) return; // the socket's address stands (the access log's fallback)
    const connection = connectionFacts(req);
    record.client = generation.forwarding.facts(connection.peerAddr, connection.encrypted, connection.localPort, req.headers).facts.remoteAddr;
  }

  #runScript(generation: Generation, target: ScriptTarget, req: IncomingMessage, res: ServerResponse, record: RequestRecord | undefined): void {
    const reqId = this.#nextReqId();
    if (record) record.reqId = reqId;
    const limits = limitsFor(generation.config, target);
    const broken = checkHead(req, limits);
    if (broken !== null) {
      if (record) this.#noteClient(generation, req, record);
      refuse(req, res, broken.code, reqId, broken.reason, this.#log);
      return;
    }
    guardBody(req, res, limits.limitRequestBody, reqId, this.#log);
    if (target.runtime === 'python') {
      // Both X-Foo and X_Foo would be HTTP_X_FOO: only the hyphenated one a front proxy sets may reach it.
      const dropped = dropUnderscoreHeaders(req);
      if (dropped > 0) this.#log.debug({ code: 'SA_EVT_HEADERS_DROPPED', reqId, dropped }, 'header names with _ dropped');
    }
    // The socket says HTTPS or not and which listener (port) took the request; a trusted proxy may say more.
    const connection = connectionFacts(req);
    let client: ForwardedFacts;
    if (generation.forwarding.active) {
      const forwarded = generation.forwarding.facts(connection.peerAddr, connection.encrypted, connection.localPort, req.headers);
      client = forwarded.facts;
      if (record) record.client = client.remoteAddr;
      for (const name of forwarded.strip) dropHeader(req, name);
      if (client.host !== null) setHeader(req, 'host', client.host);
    } else {
      client = connection.direct; // the common case, kept cheap: no forwarding header is trusted
    }
    const job = buildJob(target, req, this.#factsFor(generation, target.processGroup, target.runtime), client, connection, reqId);
    if (typeof job === 'string') {
      this.#fail(res, job, reqId, 'path is not valid UTF-8 for a JS script');
      return;
    }
    const found = generation.executor(selectExecutor(target.processGroup, target.applicationGroup, target.runtime));
    if (!(found instanceof Promise)) {
      found.handle(job, req, res);
      return;
    }
    found.then((executor) => executor.handle(job, req, res),
      (err: unknown) => this.#fail(res, isScriptAliasError(err) ? err.code : 'SA_ERR_POOL_UNAVAILABLE', reqId, String(err)));
  }

  #factsFor(generation: Generation, processGroup: string, runtime: Runtime): JobFacts {
    // Per generation, group and runtime; no key string is built per request.
    let byRuntime = this.#facts.get(generation);
    if (!byRuntime) {
      byRuntime = { node: new Map(), python: new Map() };
      this.#facts.set(generation, byRuntime);
    }
    const byGroup = byRuntime[runtime];
    let facts = byGroup.get(processGroup);
    if (!facts) {
      const settings = groupSettings(generation.config, processGroup, runtime);
      facts = {
        multiprocess: settings?.processesExplicit ?? false,
        multithread: settings ? settings.threads !== 1 : false,
        runOnce: settings ? settings.threads === 1 && settings.maximumRequests === 1 : false,
        reloading: settings?.scriptReloading ?? generation.config.scriptReloading,
      };
      byGroup.set(processGroup, facts);
    }
    return facts;
  }

  #fail(res: ServerResponse, code: ErrorCode, reqId: string, reason: string): void {
    const record = recordOf(res);
    if (record) record.reqId = reqId;
    const status = statusFor(code);
    const line = { code, reqId, reason, url: res.req?.url };
    if (status >= 500) this.#log.error(line, 'request failed');
    else this.#log.info(line, 'request refused');
    sendError(res, code, reqId);
  }

  #nextReqId(): string {
    return this.#reqPrefix + (++this.#reqSeq).toString(36);
  }

  /**
   * Swap to a new config: build it whole (new and changed groups started and ready), then swap the
   * pointer and let the old generation drain. On any failure the current generation keeps serving.
   */
  reload(config: ResolvedConfig): Promise<ReloadReport> {
    const next = this.#reloading.then(() => this.#reloadNow(config));
    this.#reloading = next.catch(() => undefined);
    return next;
  }

  async #reloadNow(config: ResolvedConfig): Promise<ReloadReport> {
    if (this.#closed) throw new ScriptAliasError('SA_ERR_RELOAD_FAILED', 'the runtime is closed');
    const old = this.#current;
    const needsRestart = (['port', 'host'] as const)
      .filter((key) => config.proxy[key] !== old.config.proxy[key]).map((key) => `proxy.${key}`);
    if (needsRestart.length > 0) {
      this.#log.warn({ code: 'SA_ERR_RELOAD_NEEDS_RESTART', settings: needsRestart }, 'changed settings take effect after a restart');
    }
    let built: Generation;
    try {
      built = await buildGeneration(config, { id: old.id + 1, registry: this.#registry, log: this.#log, strict: true });
    } catch (err) {
      const report: ReloadReport = { applied: false, generation: old.id, needsRestart, error: serializeError(err) };
      this.#lastReload = report;
      this.events.emit('reload', { result: 'failed', generation: old.id });
      this.#log.error({ err, code: 'SA_ERR_RELOAD_FAILED' }, 'reload failed; the previous config keeps serving');
      return report;
    }
    this.#install(built);
    this.#countReloadRestarts(old, built);
    for (const warning of config.warnings) this.#log.warn(warning, warning.message);
    void old.release().catch((err: unknown) => this.#log.error({ err }, 'closing the previous generation failed'));
    const report: ReloadReport = { applied: true, generation: built.id, needsRestart, changes: diffConfigs(old.config, config) };
    this.#lastReload = report;
    this.events.emit('reload', { result: 'applied', generation: built.id });
    this.#log.info({ generation: built.id }, 'config reloaded');
    return report;
  }

  /** Processes of groups the new generation does not keep (changed or removed) count as reason 'reload'. */
  #countReloadRestarts(old: Generation, built: Generation): void {
    const kept = new Set(built.executors().values());
    for (const executor of old.executors().values()) {
      if (kept.has(executor)) continue;
      const status = executor.status();
      if (status.kind !== 'process-group') continue;
      for (let i = 0; i < status.processes.length; i++) this.events.hooks.restart(status.processGroup, 'reload');
    }
  }

  /** The config this runtime serves now. */
  get config(): ResolvedConfig {
    return this.#current.config;
  }

  /** Records a reload that failed before it reached the runtime (e.g. an invalid config file). */
  recordReloadFailure(err: unknown): void {
    this.#lastReload = { applied: false, generation: this.#current.id, needsRestart: [], error: serializeError(err) };
    this.events.emit('reload', { result: 'failed', generation: this.#current.id });
  }

  status(): RuntimeStatus {
    const executors: Record<string, ExecutorStatus> = {};
    for (const [id, executor] of this.#current.executors()) executors[id] = executor.status();
    return { generation: this.#current.id, configFile: this.#current.config.file, lastReload: this.#lastReload, executors };
  }

  /** Graceful: in-flight requests finish (old generations' too), then every executor stops, then
   *  the socket folder goes. A second call joins the first. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#closed = true;
      await this.#reloading;
      await this.#current.release(false);
      await this.#registry.settled();
      this.#removeSocketRoot();
    })();
    return this.#closing;
  }

  /** Now: in-flight requests are cut, in every generation, also while a close() is running. */
  async destroy(): Promise<void> {
    this.#closed = true;
    await this.#current.release(true);
    await this.#registry.destroyAll();
    this.#removeSocketRoot();
  }

  #install(generation: Generation): void {
    this.#current = generation;
  }

  #removeSocketRoot(): void {
    rmSync(this.#socketRoot, { recursive: true, force: true });
  }
}

export type { Executor };
