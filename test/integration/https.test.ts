// HTTPS facts on a real TLS listener (certificates made by openssl at test time): every executor ×
// runtime knows the request came over TLS, the SNI lookup serves a virtual host's own certificate
// or proxy.ssl's (never a failed handshake), Flask builds https:// URLs, and forwarded headers count
// only from a trusted proxy address.
import test from 'ava';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { freePort } from '../helpers/ports.js';
import { startProxy, tempDir, writeTree, request } from '../helpers/proxy.js';
import { findPython, pythonApp } from '../helpers/python.js';
import { repoRoot } from '../helpers/paths.js';
import { makeCertificate, httpsGet } from '../helpers/tls.js';
import { waitFor } from '../helpers/events.js';
import { EXECUTORS, sixAliases, sixGroups } from '../helpers/executors.js';

const python = findPython();
const flaskPython = findPython(['flask']);

const JS_REPORTER = `module.exports.application = (req, res) => {
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ encrypted: req.socket.encrypted === true, urlScheme: req.scriptAlias.urlScheme,
    remoteAddr: req.scriptAlias.remoteAddr, serverPort: req.scriptAlias.serverPort, socketPort: req.socket.localPort,
    forwardedProto: req.headers['x-forwarded-proto'] ?? null, realIp: req.headers['x-real-ip'] ?? null }));
};
`;
const PY_REPORTER = pythonApp('https-reporter');

test('every executor and runtime reports https on the TLS listener and http on the plain one; SNI picks the certificate', async (t) => {
  if (!python) { t.fail('no python3'); return; }
  const dir = tempDir(t);
  writeTree(dir, { 'report.js': JS_REPORTER, 'report.wsgi': PY_REPORTER, 'own.js': 'module.exports.application = (req, res) => res.end("own vhost");\n' });
  const fallback = makeCertificate(dir, 'default', ['default.test']);
  const own = makeCertificate(dir, 'own', ['own.test', 'www.own.test']);
  const proxy = await startProxy(t, {
    proxy: { ssl: { port: 0, key: 'default.key', cert: 'default.crt' } },
    plugins: { scriptalias: {
      python, processGroups: sixGroups(python),
      virtualHosts: [
        { serverName: 'plain.test', scriptAlias: sixAliases('report.js', 'report.wsgi') },
        { serverName: 'own.test', serverAliases: ['www.own.test'], ssl: { key: 'own.key', cert: 'own.crt' },
          scriptAlias: [{ url: '/who', path: 'own.js', processGroup: '%{GLOBAL}', applicationGroup: '%{GLOBAL}' }] },
      ],
    } },
  }, dir);
  const [httpsPort] = proxy.running.httpsPorts;
  t.truthy(httpsPort);
  for (const executor of EXECUTORS) {
    const secure = await httpsGet(httpsPort!, 'plain.test', executor.url, fallback.pem);
    t.is(secure.status, 200, `${executor.name}: ${secure.body}`);
    const facts = JSON.parse(secure.body) as Record<string, unknown>;
    t.is(facts.urlScheme, 'https', executor.name);
    t.is(facts.serverPort, httpsPort, `${executor.name}: SERVER_PORT is the TLS port`);
    if (executor.runtime === 'js') {
      t.true(facts.encrypted, `${executor.name}: req.socket.encrypted`);
      t.is(facts.socketPort, httpsPort, executor.name);
    } else {
      t.is(facts.https, '1', `${executor.name}: HTTPS=1`);
    }
    const plain = JSON.parse((await request(proxy.url, executor.url, { headers: { host: 'plain.test' } })).body) as Record<string, unknown>;
    t.is(plain.urlScheme, 'http', executor.name);
    t.is(plain.serverPort, proxy.port, executor.name);
    if (executor.runtime === 'js') t.false(plain.encrypted, executor.name);
    else t.is(plain.https, null, executor.name);
  }
  // A name with a certificate of its own gets it (verified against that certificate only).
  const mine = await httpsGet(httpsPort!, 'www.own.test', '/who', own.pem);
  t.is(mine.body, 'own vhost');
  t.is(mine.peer.subject.CN, 'own.test');
  // Any other name, even one no vhost or route knows, gets proxy.ssl's certificate.
  const other = await httpsGet(httpsPort!, 'nobody.example', '/js-inline', fallback.pem, { host: 'plain.test' });
  t.is(other.status, 200);
  t.is(other.peer.subject.CN, 'default.test');
});

test('an unmodified Flask app builds https:// external URLs on the TLS listener', async (t) => {
  if (!flaskPython) { t.fail('no python3 with flask (install python3-flask)'); return; }
  const dir = tempDir(t);
  const cert = makeCertificate(dir, 'site', ['flask.test']);
  const proxy = await startProxy(t, {
    proxy: { ssl: { port: 0, key: 'site.key', cert: 'site.crt' } },
    plugins: { scriptalias: {
      python: flaskPython, processGroups: { py: { processes: 1, threads: 2, runtime: 'python', python: flaskPython } },
      scriptAlias: [
        { url: '/flask', path: path.join(repoRoot, 'examples', 'flask', 'app.wsgi'), processGroup: 'py', applicationGroup: '%{GLOBAL}' },
        { url: '/flask-global', path: path.join(repoRoot, 'examples', 'flask', 'app.wsgi') },
      ],
    } },
  }, dir);
  const port = proxy.running.httpsPorts[0]!;
  for (const prefix of ['/flask', '/flask-global']) {
    const answer = JSON.parse((await httpsGet(port, 'flask.test', `${prefix}/where`, cert.pem)).body) as { external: string; secure: boolean };
    t.is(answer.external, `https://flask.test${prefix}/users/1`); // Host says flask.test (no port)
    t.true(answer.secure);
  }
});

test('forwarded headers count only from a trusted proxy address, and are dropped otherwise', async (t) => {
  if (!python) { t.fail('no python3'); return; }
  const dir = tempDir(t);
  writeTree(dir, { 'report.js': JS_REPORTER, 'report.wsgi': PY_REPORTER });
  const aliases = sixAliases('report.js', 'report.wsgi');
  const trusted = await startProxy(t, { plugins: { scriptalias: {
    python, processGroups: sixGroups(python), scriptAlias: aliases,
    trustedProxies: ['127.0.0.0/8'], trustedProxyHeaders: ['X-Forwarded-Proto', 'X-Forwarded-For', 'X-Forwarded-Port'],
  } } }, dir);
  const untrustedDir = tempDir(t);
  writeTree(untrustedDir, { 'report.js': JS_REPORTER, 'report.wsgi': PY_REPORTER });
  const untrusted = await startProxy(t, { plugins: { scriptalias: {
    python, processGroups: sixGroups(python), scriptAlias: aliases,
    trustedProxies: ['10.9.9.9', '192.168.0.0/16'], trustedProxyHeaders: ['X-Forwarded-Proto', 'X-Forwarded-For', 'X-Forwarded-Port'],
  } } }, untrustedDir);
  // A client behind two proxies (203.0.113.7 → 127.0.0.5 → us): the client is the last untrusted hop.
  const headers = { 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.7, 127.0.0.5', 'x-forwarded-port': '443', 'x-real-ip': '198.51.100.1' };
  for (const executor of EXECUTORS) {
    const yes = JSON.parse((await request(trusted.url, executor.url, { headers })).body) as Record<string, unknown>;
    t.is(yes.urlScheme, 'https', `${executor.name} (trusted)`);
    t.is(yes.remoteAddr, '203.0.113.7', `${executor.name} (trusted)`);
    t.is(yes.serverPort, 443, `${executor.name} (trusted)`);
    t.is(yes.forwardedProto, 'https', `${executor.name}: the trusted header itself is kept`);
    t.is(yes.realIp, null, `${executor.name}: another client-address header is dropped, even from a trusted peer`);
    if (executor.runtime === 'js') t.false(yes.encrypted, `${executor.name}: the socket itself is still plain`);
    const no = JSON.parse((await request(untrusted.url, executor.url, { headers })).body) as Record<string, unknown>;
    t.is(no.urlScheme, 'http', `${executor.name} (untrusted)`);
    t.is(no.remoteAddr, '127.0.0.1', `${executor.name} (untrusted)`);
    t.is(no.serverPort, untrusted.port, `${executor.name} (untrusted)`);
    t.is(no.forwardedProto, null, `${executor.name}: an untrusted peer's forwarding header never reaches the script`);
    t.is(no.realIp, null, executor.name);
  }
});

test('the HTTPS port opens only once the plugin is ready: the first answer on it is the script’s', async (t) => {
  const dir = tempDir(t);
  const cert = makeCertificate(dir, 'site', ['localhost']);
  // The preload takes ~1.5 s: the group (and so the plugin) is not ready before it finishes.
  writeTree(dir, { 'slow.cjs': 'const end = Date.now() + 1500; while (Date.now() < end) {}\nmodule.exports.application = (req, res) => res.end("ready");\n' });
  const [httpPort, httpsPort] = [await freePort(), await freePort()];
  writeTree(dir, { 'proxy.json': JSON.stringify({
    proxy: { port: httpPort, ssl: { port: httpsPort, key: 'site.key', cert: 'site.crt' } },
    plugins: { scriptalias: { processGroups: { g: { processes: 1, threads: 2 } },
      scriptAlias: [{ url: '/slow', path: 'slow.cjs', processGroup: 'g', applicationGroup: '%{GLOBAL}' }] } },
  }) });
  const child = spawn(process.execPath, [path.join(repoRoot, 'dist', 'plugin', 'cli.js'), 'serve', path.join(dir, 'proxy.json'), '--no-watch', '--log-level', 'warn'], { stdio: 'ignore' });
  t.teardown(() => { child.kill('SIGKILL'); });
  const first = await waitFor('the HTTPS port to answer', async () => {
    try {
      return await httpsGet(httpsPort, 'localhost', '/slow', cert.pem);
    } catch {
      return undefined; // not listening yet
    }
  }, 30_000);
  t.is(first.status, 200);
  t.is(first.body, 'ready');
});

test('check: proxy.ssl paths resolve against the config file; a missing or non-PEM key is an error at its pointer', (t) => {
  const dir = tempDir(t);
  makeCertificate(dir, 'site', ['localhost']);
  writeTree(dir, { 'not-pem.key': 'hello\n' });
  const cli = path.join(repoRoot, 'dist', 'plugin', 'cli.js');
  const write = (ssl: unknown): string => {
    writeTree(dir, { 'proxy.json': JSON.stringify({ proxy: { port: 0, ssl } }) });
    return path.join(dir, 'proxy.json');
  };
  const run = (file: string) => spawnSync(process.execPath, [cli, 'check', file], { encoding: 'utf8', cwd: '/' });
  const good = run(write({ port: 0, key: 'site.key', cert: 'site.crt' }));
  t.is(good.status, 0, good.stderr);
  const missing = run(write({ port: 0, key: 'gone.key', cert: 'site.crt' }));
  t.is(missing.status, 2);
  t.regex(missing.stderr, /\/proxy\/ssl\/key: cannot read .*gone\.key: ENOENT.*\[SA_ERR_CONFIG_TLS\]/);
  const garbage = run(write([{ port: 0, key: 'not-pem.key', cert: 'site.crt' }]));
  t.is(garbage.status, 2);
  t.regex(garbage.stderr, /\/proxy\/ssl\/0\/key: .*not-pem\.key is not a PEM private key.*\[SA_ERR_CONFIG_TLS\]/);
  t.notRegex(garbage.stderr, /\n\s+at /, 'no stack trace');
  const vhost = spawnSync(process.execPath, [cli, 'check', (writeTree(dir, { 'proxy.json': JSON.stringify({ plugins: { scriptalias: {
    virtualHosts: [{ serverName: 'a.test', ssl: { key: 'site.crt', cert: 'site.crt' } }] } } }) }), path.join(dir, 'proxy.json'))], { encoding: 'utf8' });
  t.is(vhost.status, 2);
  t.regex(vhost.stderr, /virtualHosts\/0\/ssl\/key: .*\[SA_ERR_CONFIG_TLS\]/);
});
