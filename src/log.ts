// Logger factory and the fixed log field names. Every module logs through a child of the one root
// logger the plugin is given (or creates), so tests and the CLI control level and destination.
import { pino, type Logger, type LoggerOptions, type DestinationStream } from 'pino';

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
