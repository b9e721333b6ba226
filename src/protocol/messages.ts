// Every control message of the project, on both channels: arbiter ↔ worker process (the Node IPC
// channel: child_process 'ipc', serialization 'json'; a Python worker reads/writes one JSON object per
// line on the fd in NODE_CHANNEL_FD) and owner ↔ realm thread (a worker_threads port). Requests never
// travel here: they go over each realm's local socket (see job.ts). Every message has a `type`;
// handlers switch on it exhaustively (assertNever), so a new type fails to compile until handled.
import type { SerializedError } from '../errors.js';

/** A script to load into an application group before the process reports ready (preload rule). */
export interface PreloadEntry {
  readonly script: string;
  readonly applicationGroup: string;   // '' = main realm
  readonly callable: string;
}

// ---- arbiter → worker ------------------------------------------------------------------

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

// ---- worker → arbiter ------------------------------------------------------------------

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

/** A structured log line from a worker; the arbiter adds group and pid and logs it. */
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

export type WorkerMessage = ReadyMessage | AppGroupReadyMessage | AppGroupFailedMessage | LogMessage;

/**
 * The `type` of every message on a worker process's channel, each once (a missing or extra key fails
 * to compile). The CPython worker keeps its own copy (wsgi_host/protocol.py); a unit test compares them.
 */
export const PROCESS_MESSAGE_TYPES: { readonly [K in (SupervisorMessage | WorkerMessage)['type']]: K } = {
  'init': 'init', 'ensure-app-group': 'ensure-app-group', 'shutdown': 'shutdown',
  'ready': 'ready', 'app-group-ready': 'app-group-ready', 'app-group-failed': 'app-group-failed', 'log': 'log',
};

// ---- realm thread ↔ its owner (worker/thread-realms.ts, worker/thread-main.ts) ------------------

/** Owner → thread: only a graceful stop; the thread's socket path and preloads come in workerData. */
export type ThreadControlMessage = ShutdownMessage;

/** The thread has run its preloads and listens on the socket path its owner gave it. */
export interface ThreadReadyMessage {
  readonly type: 'ready';
  readonly preloads: readonly PreloadResult[];
}

export type ThreadMessage = ThreadReadyMessage | LogMessage;

export function assertNever(value: never): never {
  throw new Error(`unhandled message: ${JSON.stringify(value)}`);
}
