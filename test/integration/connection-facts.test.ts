// What a script learns of its client connection (req.socket, req.scriptAlias) in every executor, now
// that the proxy reads those facts once per connection: each keep-alive connection reports its own
// peer port on every request, two connections never share one. And the Date header of a pooled or
// isolate answer: one, the proxy's, unless the script set its own.
import test from 'ava';
import http from 'node:http';
import { startProxy, tempDir, writeTree } from '../helpers/proxy.js';

const FACTS_SCRIPT = `module.exports = (req, res) => {
  if (req.url.startsWith('/dated')) res.setHeader('Date', 'Tue, 01 Jan 2030 00:00:00 GMT');
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ remotePort: req.socket.remotePort, remoteAddress: req.socket.remoteAddress, localPort: req.socket.localPort,
    remoteAddr: req.scriptAlias.remoteAddr, serverPort: req.scriptAlias.serverPort }));
};
`;

interface Facts { remotePort: number; remoteAddress: string; localPort: number; remoteAddr: string; serverPort: number }
interface Answer { status: number; rawHeaders: string[]; facts: Facts; clientPort: number }

/** GET on `agent`'s connection; `clientPort` = the local port of the socket the request went out on. */
function get(agent: http.Agent, url: string, rawPath: string): Promise<Answer> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.get({ host: hostname, port, path: rawPath, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, rawHeaders: res.rawHeaders, facts: JSON.parse(Buffer.concat(chunks).toString()) as Facts, clientPort: req.socket!.localPort! }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

const dates = (rawHeaders: readonly string[]): string[] => rawHeaders.filter((_, i) => i % 2 === 1 && rawHeaders[i - 1]!.toLowerCase() === 'date');

async function factsProxy(t: Parameters<typeof startProxy>[0]): Promise<string> {
  const dir = tempDir(t);
  writeTree(dir, { 'facts.cjs': FACTS_SCRIPT });
  const proxy = await startProxy(t, { plugins: { scriptalias: {
    processGroups: { p: { processes: 1, threads: 4 } },
    scriptAlias: [
      { url: '/inline', path: 'facts.cjs', processGroup: '%{GLOBAL}', applicationGroup: '%{GLOBAL}' },
      { url: '/iso', path: 'facts.cjs', applicationGroup: 'iso' },
      { url: '/pool', path: 'facts.cjs', processGroup: 'p' },
    ],
  } } }, dir);
  return proxy.url;
}

test('each keep-alive connection reports its own peer port on every request, in every executor', async (t) => {
  const url = await factsProxy(t);
  const proxyPort = Number(new URL(url).port);
  const agents = [new http.Agent({ keepAlive: true, maxSockets: 1 }), new http.Agent({ keepAlive: true, maxSockets: 1 })];
  t.teardown(() => { for (const agent of agents) agent.destroy(); });
  for (const where of ['/inline', '/iso', '/pool']) {
    const seen: number[] = [];
    for (const agent of agents) {
      const first = await get(agent, url, `${where}/a`);
      const second = await get(agent, url, `${where}/b`);
      t.is(first.clientPort, second.clientPort, `${where}: one connection per agent`);
      for (const answer of [first, second]) {
        t.is(answer.status, 200);
        t.is(answer.facts.remotePort, answer.clientPort, `${where}: req.socket.remotePort is this connection's`);
        t.is(answer.facts.remoteAddress, '127.0.0.1');
        t.is(answer.facts.remoteAddr, '127.0.0.1');
        t.is(answer.facts.localPort, proxyPort);
        t.is(answer.facts.serverPort, proxyPort);
      }
      seen.push(first.facts.remotePort);
    }
    t.not(seen[0], seen[1], `${where}: two connections, two peer ports`);
  }
});

test('a pooled or isolate answer has one Date, the proxy\'s, unless the script sets its own', async (t) => {
  const url = await factsProxy(t);
  const agent = new http.Agent({ keepAlive: false });
  t.teardown(() => agent.destroy());
  for (const where of ['/inline', '/iso', '/pool']) {
    const plain = await get(agent, url, `${where}/x`);
    t.is(dates(plain.rawHeaders).length, 1, `${where}: one Date`);
    t.false(Number.isNaN(Date.parse(dates(plain.rawHeaders)[0]!)), `${where}: an HTTP date`);
    const dated = await get(agent, url, `${where}/dated`);
    t.deepEqual(dates(dated.rawHeaders), ['Tue, 01 Jan 2030 00:00:00 GMT'], `${where}: the script's own Date, once`);
  }
});
