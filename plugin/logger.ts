// The CLI's logger, shared by `serve` and a cluster's proxy processes.
import { createRequire } from 'node:module';
import { createLogger, type Logger } from '../src/log.js';

// pino-pretty only for a person at a terminal: a service writing JSON never loads it (~4 MiB RSS).
const require = createRequire(import.meta.url);

/** JSON lines for programs; for a person at a terminal, pino-pretty (the same fields, readable). */
export function makeLogger(level: string, format: string): Logger {
  if (format === 'json') return createLogger({ level });
  const pretty = require('pino-pretty') as typeof import('pino-pretty');
  return createLogger({ level }, pretty({ colorize: process.stdout.isTTY === true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'hostname', sync: true }));
}
