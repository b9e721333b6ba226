// The error catalogue stays honest: codes have the documented shape, HTTP statuses are sane, errors
// survive the wire. The README's table is generated from the catalogue (error-table.test.ts).
import test from 'ava';
import { ERROR_CATALOGUE, WARNING_CATALOGUE, EVENT_CATALOGUE, ScriptAliasError, ConfigError, isScriptAliasError, serializeError, reviveError, messageWithCauses, type ErrorCode } from '../../src/errors.js';

const codes = Object.keys(ERROR_CATALOGUE) as ErrorCode[];

test('every error code is SA_ERR_<AREA>_<WHAT> with a known area', (t) => {
  for (const code of codes) t.regex(code, /^SA_ERR_(CONFIG|ROUTE|REQUEST|SCRIPT|POOL|WORKER|RELOAD|OPS|IMPORT|LISTEN|CLI|CLUSTER|SOURCE)_[A-Z_]+$/, code);
  for (const code of Object.keys(WARNING_CATALOGUE)) t.regex(code, /^SA_WRN_[A-Z_]+$/, code);
  for (const code of Object.keys(EVENT_CATALOGUE)) t.regex(code, /^SA_EVT_[A-Z_]+$/, code);
});

test('request-time errors carry a 4xx/5xx status; config errors carry none', (t) => {
  for (const code of codes) {
    const status = new ScriptAliasError(code, 'x').statusCode;
    if (code.startsWith('SA_ERR_CONFIG_')) t.is(status, undefined, code);
    if (status !== undefined) t.true(status >= 400 && status < 600, code);
  }
});

test('an error survives serialize/revive by code (SA_ERR_SCRIPT_TIMEOUT)', (t) => {
  const revived = reviveError(serializeError(new ScriptAliasError('SA_ERR_SCRIPT_TIMEOUT', 'slow', { details: { ms: 5 } })));
  t.true(isScriptAliasError(revived));
  t.is(revived.code, 'SA_ERR_SCRIPT_TIMEOUT');
  t.is(revived.statusCode, 504);
  t.deepEqual(revived.details, { ms: 5 });
});

test('a foreign error serializes as SA_ERR_SCRIPT_FAILED; an unknown code revives as SA_ERR_WORKER_PROTOCOL', (t) => {
  t.is(serializeError(new TypeError('boom')).code, 'SA_ERR_SCRIPT_FAILED');
  t.is(reviveError({ code: 'SA_ERR_NOPE' as ErrorCode, message: 'x' }).code, 'SA_ERR_WORKER_PROTOCOL');
});

test('ConfigError holds every issue (SA_ERR_CONFIG_INVALID)', (t) => {
  const err = new ConfigError([
    { file: 'a.json', pointer: '/x', code: 'SA_ERR_CONFIG_SCHEMA', message: 'bad' },
    { file: 'a.json', pointer: '/y', code: 'SA_ERR_CONFIG_UNKNOWN_GROUP', message: 'bad' },
  ]);
  t.is(err.code, 'SA_ERR_CONFIG_INVALID');
  t.is(err.issues.length, 2);
});

test('messageWithCauses says each cause once; the wire form keeps the causes (cause itself does not cross)', (t) => {
  const root = new Error('boom at load');
  const load = new ScriptAliasError('SA_ERR_SCRIPT_LOAD_FAILED', 'cannot load x.js', { cause: root });
  t.is(messageWithCauses(load), 'cannot load x.js: boom at load');
  // A message that already holds its cause's text does not get it again.
  t.is(messageWithCauses(new Error('start failed: spawn ENOENT', { cause: new Error('spawn ENOENT') })), 'start failed: spawn ENOENT');
  t.is(messageWithCauses('plain'), 'plain');
  t.is(serializeError(load).message, 'cannot load x.js: boom at load');
});
