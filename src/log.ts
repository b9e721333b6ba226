// Logger factory and the fixed log field names. Every module logs through a child of the one root
// logger the plugin is given (or creates), so tests and the CLI control level and destination.
import { pino, type Logger, type LoggerOptions, type DestinationStream } from 'pino';

import type { LogMessage } from './protocol/messages.js';

export type { Logger };

/** The field names every log line uses (STYLE §3). */
export const LOG_FIELDS = {
  group: 'group',
  appGroup: 'appGroup',
  pid: 'pid',
  reqId: 'reqId',
  code: 'code',
  script: 'script',
} as const;

export function createLogger(options: LoggerOptions = {}, destination?: DestinationStream): Logger {
  const base: LoggerOptions = { name: 'scriptalias', level: 'info', ...options };
  return destination ? pino(base, destination) : pino(base);
}

/** A logger that drops everything (library use without a logger, unit tests). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

/**
 * `err` for a log line from anything, so pino's err serializer always writes {type, message, stack}:
 * an Error as it is; the stack or Python traceback text a worker sent across its boundary becomes an
 * Error whose type and message come from the line that names them (first of a JS stack, last of a
 * traceback) and whose stack is the text.
 */
export function errObject(err: unknown): Error {
  if (err instanceof Error) return err;
  const text = typeof err === 'string' ? err : JSON.stringify(err) ?? String(err);
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const traceback = lines[0]?.startsWith('Traceback ') === true;
  const named = (traceback ? lines[lines.length - 1] : lines[0]) ?? '';
  const m = /^([A-Za-z_][\w.]*): (.*)$/.exec(named);
  const typed = m !== null && (traceback || /Error|Exception/.test(m[1]!));
  const error = new Error(typed ? m[2]! : named);
  // pino names the type after a function constructor, else after `name`: hide the constructor.
  Object.defineProperty(error, 'name', { value: typed ? m[1]! : 'Error', enumerable: false });
  Object.defineProperty(error, 'constructor', { value: undefined, enumerable: false });
  Object.defineProperty(error, 'stack', { value: text, enumerable: false });
  return error;
}

/** Logs a line a worker (thread or process) sent; its `err` text becomes an object (errObject). */
export function logWorkerMessage(log: Logger, message: LogMessage): void {
  const { level, msg, type: _type, err, ...fields } = message;
  log[level](err === undefined ? fields : { ...fields, err: errObject(err) }, msg);
}
