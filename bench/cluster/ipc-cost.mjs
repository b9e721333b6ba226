// What a message over node:cluster's IPC channel costs (CPU of sender + receiver per message), the
// price "shared in-flight counts across proxies" would pay per request (docs/cluster.md).
// node bench/cluster/ipc-cost.mjs [messages]
import cluster from 'node:cluster';

const N = Number(process.argv[2] ?? 200_000);
const message = { t: 'sa:handed', sub: 3, pid: 123456 };

if (cluster.isPrimary) {
  const worker = cluster.fork();
  const before = process.cpuUsage();
  let received = 0;
  worker.on('message', (m) => {
    if (m.t === 'sa:handed') received++;
    if (m.t === 'done') {
      const own = process.cpuUsage(before);
      const us = (own.user + own.system + m.user + m.system) / N;
      console.log(`${N} messages each way; CPU per message (sender + receiver, both directions averaged): ${(us / 2).toFixed(2)} µs; per request needing hand-out + finish: ${us.toFixed(2)} µs`);
      worker.kill();
    }
  });
  worker.on('online', () => undefined);
  worker.on('message', (m) => {
    if (m.t !== 'ready') return;
    // Primary → worker N messages, worker echoes each one back (two messages per "request").
    let sent = 0;
    const pump = () => {
      while (sent < N) {
        sent++;
        if (!worker.send(message)) { setImmediate(pump); return; }
      }
    };
    pump();
  });
} else {
  const before = process.cpuUsage();
  let n = 0;
  process.on('message', (m) => {
    process.send(m);
    if (++n === N) {
      const own = process.cpuUsage(before);
      setTimeout(() => process.send({ t: 'done', user: own.user, system: own.system }), 50);
    }
  });
  process.send({ t: 'ready' });
}
