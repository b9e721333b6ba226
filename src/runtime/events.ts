// What the runtime tells operators' tools (metrics): one typed event per thing that happened.
// Counters live in the listeners (src/ops/); the runtime keeps none of them.
import { EventEmitter } from 'node:events';
import type { ExecutorHooks, RestartReason } from '../executor/events.js';

export interface RequestEvent {
  /** The matched context's configured ServerName (never the client's Host header). */
  readonly vhost: string;
  /** Process group ('' for static files, redirects and refusals before a group). */
  readonly group: string;
  readonly code: number;
  readonly seconds: number;
}

export interface RuntimeEventMap {
  request: [RequestEvent];
  queueWait: [{ readonly group: string; readonly seconds: number }];
  restart: [{ readonly group: string; readonly reason: RestartReason }];
  reload: [{ readonly result: 'applied' | 'failed'; readonly generation: number }];
}

export class RuntimeEvents extends EventEmitter<RuntimeEventMap> {
  /** The hooks handed to executors: they feed these events. */
  readonly hooks: ExecutorHooks = {
    restart: (group, reason) => { this.emit('restart', { group, reason }); },
    queueWait: (group, seconds) => { this.emit('queueWait', { group, seconds }); },
  };
}
