// Control messages between a pool supervisor and its workers. Requests never travel here: they go
// over each realm's local HTTP socket (see job.ts). Control travels as JSON objects over the Node IPC
// channel (child_process 'ipc', serialization 'json'; a Python worker reads/writes one JSON object
// per line on the fd in NODE_CHANNEL_FD) or a worker_threads port. Every message has a `type`;
// handlers switch on it exhaustively (see assertNever).
import type { SerializedError } from '../errors.js';

/** A script to load into an application group before the process reports ready (preload rule). */
export interface PreloadEntry {
  readonly script: string;
  readonly applicationGroup: string;   // '' = main realm
  readonly callable: string;
}

// ---- supervisor → worker ------------------------------------------------------------------

/** First message to a worker process: who it is and what to preload. */
export interface InitMessage {
  readonly type: 'init';
  readonly processGroup: string;
  readonly slot: number;               // index of this process in its pool (logs, socket names)
  readonly socketDir: string;          // where the worker creates its Unix sockets
  readonly threads: number;
  readonly preload: readonly PreloadEntry[];
  readonly displayName: string;
  readonly pythonPath: readonly string[];
}

/** Make sure a realm for this application group exists and listens; answered by AppGroupReady/Failed. */
export interface EnsureAppGroupMessage {
  readonly type: 'ensure-app-group';
  readonly id: number;
  readonly applicationGroup: string;
}

/** Stop taking new connections, finish in-flight requests (up to gracefulMs), then exit 0. */
export interface ShutdownMessage {
  readonly type: 'shutdown';
  readonly gracefulMs: number;
}

export type SupervisorMessage = InitMessage | EnsureAppGroupMessage | ShutdownMessage;

// ---- worker → supervisor ------------------------------------------------------------------

export interface PreloadResult {
  readonly script: string;
  readonly applicationGroup: string;
  readonly ok: boolean;
  readonly error?: SerializedError;
}

/** The worker has run its preloads and its main realm listens on socketPath. */
export interface ReadyMessage {
  readonly type: 'ready';
  readonly pid: number;
  readonly socketPath: string;
  readonly preloads: readonly PreloadResult[];
  /** Application groups (other than the main realm) already listening, with their socket paths. */
  readonly appGroups: Readonly<Record<string, string>>;
}

export interface AppGroupReadyMessage {
  readonly type: 'app-group-ready';
  readonly id: number;
  readonly applicationGroup: string;
  readonly socketPath: string;
}

export interface AppGroupFailedMessage {
  readonly type: 'app-group-failed';
  readonly id: number;
  readonly applicationGroup: string;
  readonly error: SerializedError;
}

/** A structured log line from a worker; the supervisor adds group and pid and logs it. */
export interface LogMessage {
  readonly type: 'log';
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly msg: string;
  readonly code?: string;
  readonly script?: string;
  readonly reqId?: string;
  readonly appGroup?: string;
  readonly err?: string;               // stack or traceback: logs only, never a response
}

/** The worker asks to be replaced (its script changed on disk, or a request timed out inside it). */
export interface RecycleRequestMessage {
  readonly type: 'recycle-request';
  readonly reason: 'script-changed' | 'timeout';
}

export type WorkerMessage = ReadyMessage | AppGroupReadyMessage | AppGroupFailedMessage | LogMessage | RecycleRequestMessage;

export function assertNever(value: never): never {
  throw new Error(`unhandled message: ${JSON.stringify(value)}`);
}
