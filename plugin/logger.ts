// The CLI's logger, shared by `serve` and a cluster's proxy processes.
import pretty from 'pino-pretty';
import { createLogger, type Logger } from '../src/log.js';

/** JSON lines for programs; for a person at a terminal, pino-pretty (the same fields, readable). */
export function makeLogger(level: string, format: string): Logger {
  if (format === 'json') return createLogger({ level });
  return createLogger({ level }, pretty({ colorize: process.stdout.isTTY === true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'hostname', sync: true }));
}
