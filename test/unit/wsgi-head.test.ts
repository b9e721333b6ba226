// The compact request head of the Python hop (src/protocol/wsgi-head.ts): the environ strings the
// CPython worker used to build from the HTTP text, with mod_wsgi's header rules, and an empty frame
// (refused by the worker) when a field would hold a NUL.
import test from 'ava';
import type { IncomingMessage } from 'node:http';
import { encodeWsgiHead, PRIVATE_KEYS } from '../../src/protocol/wsgi-head.js';
import type { ScriptJob } from '../../src/protocol/job.js';

const job: ScriptJob = {
  script: '/srv/app.wsgi', callable: 'application', scriptName: '/app', pathInfo: '/a b', url: '/a%20b?x=1', queryString: 'x=1',
  processGroup: 'py', applicationGroup: '', multiprocess: true, multithread: false, runOnce: false, passAuthorization: false,
  reloading: true, reqId: 'r1', remoteAddr: '127.0.0.1', remotePort: 5000, serverName: 'example.test', serverPort: 8080,
  urlScheme: 'http', encrypted: false, peerAddr: '127.0.0.1', localPort: 8080,
};
const req = { method: 'POST', url: '/app/a%20b?x=1' } as IncomingMessage;

function environ(frame: Buffer): Record<string, string> {
  const size = frame.readUInt32LE(0);
  if (size === 0) return {};
  const fields = frame.toString('utf8', 4, 4 + size).split('\0');
  const out: Record<string, string> = {};
  for (let i = 0; i < fields.length; i += 2) out[fields[i]!] = fields[i + 1]!;
  return out;
}

test('CGI names from the job, headers as HTTP_*, repeated ones joined, body framing', (t) => {
  const env = environ(encodeWsgiHead(req, job, ['Host', 'example.test', 'X-Tag', 'a', 'x-tag', ' b ', 'Content-Type', 'text/plain'], '5', false));
  t.like(env, {
    REQUEST_METHOD: 'POST', REQUEST_URI: '/app/a%20b?x=1', SCRIPT_NAME: '/app', PATH_INFO: '/a b', QUERY_STRING: 'x=1',
    SCRIPT_FILENAME: '/srv/app.wsgi', SERVER_NAME: 'example.test', SERVER_PORT: '8080', SERVER_PROTOCOL: 'HTTP/1.1',
    REMOTE_PORT: '5000', HTTP_HOST: 'example.test', HTTP_X_TAG: 'a, b', CONTENT_TYPE: 'text/plain', CONTENT_LENGTH: '5',
    'wsgi.multiprocess': '1', 'wsgi.multithread': '', 'mod_wsgi.script_reloading': '1', [PRIVATE_KEYS.requestId]: 'r1',
  });
  t.false(PRIVATE_KEYS.chunked in env);
  t.false('HTTPS' in env);
  t.is(environ(encodeWsgiHead(req, job, [], undefined, true))[PRIVATE_KEYS.chunked], '1');
});

test('names with _ are dropped and counted; Authorization only with passAuthorization; hop-by-hop never', (t) => {
  const headers = ['X_Forwarded_For', 'evil', 'Authorization', 'Basic x', 'Proxy-Authorization', 'Basic y', 'TE', 'trailers'];
  const env = environ(encodeWsgiHead(req, job, headers, undefined, false));
  t.false('HTTP_X_FORWARDED_FOR' in env);
  t.is(env[PRIVATE_KEYS.dropped], '1');
  t.false('HTTP_AUTHORIZATION' in env);
  t.false('HTTP_PROXY_AUTHORIZATION' in env);
  t.false('HTTP_TE' in env);
  t.is(environ(encodeWsgiHead(req, { ...job, passAuthorization: true }, headers, undefined, false)).HTTP_AUTHORIZATION, 'Basic x');
});

test('https sets HTTPS=1; non-latin-1 script paths survive (UTF-8 frame)', (t) => {
  const env = environ(encodeWsgiHead(req, { ...job, urlScheme: 'https', script: '/srv/ünï/☃.wsgi', httpVersion: '2.0' }, [], undefined, false));
  t.is(env.HTTPS, '1');
  t.is(env['wsgi.url_scheme'], 'https');
  t.is(env.SCRIPT_FILENAME, '/srv/ünï/☃.wsgi');
  t.is(env.SERVER_PROTOCOL, 'HTTP/2.0');
});

test('a NUL inside a field gives an empty head, which the worker refuses (SA_ERR_WORKER_PROTOCOL)', (t) => {
  t.is(encodeWsgiHead(req, { ...job, processGroup: 'a\0b' }, [], undefined, false).readUInt32LE(0), 0);
  // The group's fields are kept per script: the same script in a clean group is sent whole again.
  t.is(environ(encodeWsgiHead(req, job, [], undefined, false))['mod_wsgi.process_group'], 'py');
  t.is(encodeWsgiHead(req, { ...job, pathInfo: '/a\0' }, [], undefined, false).readUInt32LE(0), 0);
  t.is(encodeWsgiHead(req, job, ['X-A', 'a\0b'], undefined, false).readUInt32LE(0), 0);
});

test('with no header name twice, the length the proxy decided replaces the client’s Content-Length once', (t) => {
  const frame = encodeWsgiHead(req, job, ['Host', 'example.test', 'Content-Length', '9'], '5', false);
  const fields = frame.toString('utf8', 4).split('\0');
  t.deepEqual(fields.filter((f, i) => i % 2 === 0 && f === 'CONTENT_LENGTH').length, 1);
  t.is(environ(frame).CONTENT_LENGTH, '5');
  t.is(environ(encodeWsgiHead(req, job, ['Host', 'example.test'], '7', false)).CONTENT_LENGTH, '7');
});

test('the per-connection fields follow the job: interleaved clients, listeners, schemes and protocols each get their own', (t) => {
  // Each one differs from the job before it in one field only, so a cache that forgot a field would show.
  const alone: ScriptJob[] = [
    { ...job, remoteAddr: '198.51.100.9' },
    { ...job, urlScheme: 'https' },
    { ...job, serverPort: 9090 },
    { ...job, httpVersion: '2.0' },
    { ...job, serverName: '' },
    { ...job, serverName: 'other.test' },
  ];
  const places = alone.flatMap((place) => [job, place]);
  for (let round = 0; round < 2; round++) {
    for (const place of places) {
      const env = environ(encodeWsgiHead(req, place, [], undefined, false));
      t.is(env.REMOTE_ADDR, place.remoteAddr);
      t.is(env.SERVER_NAME, place.serverName || 'localhost');
      t.is(env.SERVER_PORT, String(place.serverPort));
      t.is(env.SERVER_PROTOCOL, `HTTP/${place.httpVersion || '1.1'}`);
      t.is(env['wsgi.url_scheme'], place.urlScheme);
      t.is('HTTPS' in env, place.urlScheme === 'https');
    }
  }
  // A NUL in a connection's field empties that head only; the next clean one is whole.
  t.is(encodeWsgiHead(req, { ...job, serverName: 'a\0b' }, [], undefined, false).readUInt32LE(0), 0);
  t.is(environ(encodeWsgiHead(req, job, [], undefined, false)).SERVER_NAME, 'example.test');
});
