// mod_wsgi's option words (WSGIScriptAlias and WSGIDaemonProcess "name=value" lists): which are
// valid in mod_wsgi 4.9, and which of them have a processGroups key. An option mod_wsgi does not
// know makes Apache refuse to start, so the importer refuses too (SA_ERR_IMPORT_DIRECTIVE).
import type { DirectiveNode } from './read.js';
import { importError } from './tokenize.js';

export const SCRIPT_ALIAS_OPTIONS: Readonly<Record<string, string>> = {
  'process-group': 'processGroup',
  'application-group': 'applicationGroup',
  'callable-object': 'callableObject',
  'pass-authorization': 'passAuthorization',
};

type Kind = 'int' | 'seconds' | 'path' | 'paths' | 'string';

/** WSGIDaemonProcess options with a processGroups key: key and value kind. */
export const DAEMON_OPTIONS: Readonly<Record<string, readonly [string, Kind]>> = {
  processes: ['processes', 'int'],
  threads: ['threads', 'int'],
  'maximum-requests': ['maximumRequests', 'int'],
  'request-timeout': ['requestTimeout', 'seconds'],
  'queue-timeout': ['queueTimeout', 'seconds'],
  'listen-backlog': ['listenBacklog', 'int'],
  'inactivity-timeout': ['inactivityTimeout', 'seconds'],
  'restart-interval': ['restartInterval', 'seconds'],
  'graceful-timeout': ['gracefulTimeout', 'seconds'],
  'shutdown-timeout': ['shutdownTimeout', 'seconds'],
  home: ['home', 'path'],
  'python-path': ['pythonPath', 'paths'],
  'python-home': ['pythonHome', 'path'],
  'display-name': ['displayName', 'string'],
};

/** Valid mod_wsgi 4.9 WSGIDaemonProcess options without an equivalent: reported, not errors. */
export const DAEMON_OPTIONS_UNMAPPED: Readonly<Record<string, string>> = {
  user: 'workers run as the proxy\'s user', group: 'workers run as the proxy\'s group',
  'supplementary-groups': 'workers run as the proxy\'s user', umask: 'workers inherit the proxy\'s umask',
  chroot: 'no chroot', lang: 'set LANG in the proxy\'s environment', locale: 'set LC_ALL in the proxy\'s environment',
  'python-eggs': 'no equivalent', 'stack-size': 'no equivalent', 'maximum-request-time': 'no equivalent',
  'deadlock-timeout': 'no equivalent', 'startup-timeout': 'no equivalent', 'eviction-timeout': 'no equivalent',
  'connect-timeout': 'no equivalent', 'socket-timeout': 'no equivalent', 'header-buffer-size': 'no equivalent',
  'response-buffer-size': 'no equivalent', 'response-socket-timeout': 'no equivalent',
  'receive-buffer-size': 'no equivalent', 'send-buffer-size': 'no equivalent', 'cpu-time-limit': 'no equivalent',
  'cpu-priority': 'no equivalent', 'memory-limit': 'no equivalent', 'virtual-memory-limit': 'no equivalent',
  'server-metrics': 'no equivalent', 'script-user': 'no equivalent', 'socket-user': 'no equivalent',
  'dont-write-bytecode': 'no equivalent', 'python-dont-write-bytecode': 'no equivalent',
  'shutdown-signal': 'no equivalent',
};

export interface OptionWord { readonly name: string; readonly value: string }

/** "name=value" words; a word without "=" is an Apache error. */
export function optionWords(node: DirectiveNode, words: readonly string[]): OptionWord[] {
  return words.map((word) => {
    const eq = word.indexOf('=');
    if (eq <= 0) throw importError('SA_ERR_IMPORT_DIRECTIVE', node.file, node.line, `${node.name}: "${word}" is not an option=value word`);
    return { name: word.slice(0, eq).toLowerCase(), value: word.slice(eq + 1).replace(/^"(.*)"$/, '$1') };
  });
}

export function onOff(node: DirectiveNode, value: string | undefined): boolean {
  const v = (value ?? '').toLowerCase();
  if (v === 'on') return true;
  if (v === 'off') return false;
  throw importError('SA_ERR_IMPORT_DIRECTIVE', node.file, node.line, `${node.name}: expected On or Off, got "${value ?? ''}"`);
}

/** A daemon option value in its schema form; a bad number is an Apache error. */
export function daemonValue(node: DirectiveNode, option: string, kind: Kind, value: string, abs: (p: string) => string): number | string | string[] {
  if (kind === 'int' || kind === 'seconds') {
    const n = Number(value);
    if (value === '' || !Number.isFinite(n) || n < 0 || (kind === 'int' && !Number.isInteger(n))) {
      throw importError('SA_ERR_IMPORT_DIRECTIVE', node.file, node.line, `WSGIDaemonProcess ${option}=${value}: not a valid number`);
    }
    return n;
  }
  if (kind === 'path') return abs(value);
  if (kind === 'paths') return value.split(':').filter(Boolean).map(abs);
  return value;
}
