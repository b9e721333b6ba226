// The job's wire form (src/protocol/job.ts): what the proxy encodes a worker decodes to the same job,
// for strings of any content, as one printable-ASCII header value; and the per-script text it keeps
// never carries one request's or one group's fields into another's.
import test from 'ava';
import { decodeJob, encodeJob, type ScriptJob } from '../../src/protocol/job.js';

const base: ScriptJob = {
  script: '/srv/app/hello.js', callable: 'application', scriptName: '/app', pathInfo: '/hello', url: '/hello?a=1', queryString: 'a=1',
  processGroup: 'web', applicationGroup: '', multiprocess: true, multithread: true, runOnce: false, passAuthorization: false, reloading: true,
  reqId: 'k3-1a', remoteAddr: '192.0.2.7', remotePort: 50123, serverName: 'example.org', serverPort: 443, urlScheme: 'https', encrypted: true,
  peerAddr: '192.0.2.7', localPort: 8443, httpVersion: '2.0',
};

const HOSTILE = ['', '"', '\\', '\r\n', '\u0000\u001f\u007f', 'é', '日本', '\u2028\u2029', '😀', '\ud800', 'a"b\\c', '%2F..%00'];

const roundTrip = (job: ScriptJob): ScriptJob => decodeJob(encodeJob(job));

test('every string field survives any content, and the header value stays printable ASCII (no CR/LF, no latin-1 loss)', (t) => {
  const stringFields = Object.keys(base).filter((key) => typeof base[key as keyof ScriptJob] === 'string') as (keyof ScriptJob)[];
  for (const field of stringFields) {
    for (const value of HOSTILE) {
      const job = { ...base, [field]: value } as ScriptJob;
      const wire = encodeJob(job);
      t.regex(wire, /^[\x20-\x7e]*$/, `${field} = ${JSON.stringify(value)}`);
      t.deepEqual(roundTrip(job), job, `${field} = ${JSON.stringify(value)}`); // a lone surrogate too (sent as \\ud800)
    }
  }
});

test('numbers and booleans come back as sent; a job without httpVersion decodes without it', (t) => {
  t.deepEqual(roundTrip(base), base);
  const flipped: ScriptJob = { ...base, multiprocess: false, multithread: false, runOnce: true, passAuthorization: true, reloading: false, encrypted: false, remotePort: 0, serverPort: 65535, localPort: 1 };
  t.deepEqual(roundTrip(flipped), flipped);
  const { httpVersion: _omitted, ...older } = base;
  t.deepEqual(roundTrip(older), older);
  t.false('httpVersion' in roundTrip(older));
});

test('the per-script text follows the job: the same script under another group, callable or flag encodes that job\'s values', (t) => {
  // Each one differs from the job before it in one field only, so a cache that forgot a field would show.
  const alone: ScriptJob[] = [
    { ...base, processGroup: 'other' },
    { ...base, applicationGroup: 'tenant-b' },
    { ...base, callable: 'app' },
    { ...base, passAuthorization: true },
    { ...base, reloading: false },
    { ...base, runOnce: true },
    { ...base, multithread: false },
    { ...base, multiprocess: false },
  ];
  for (const job of [...alone.flatMap((variant) => [base, variant]), base]) t.deepEqual(roundTrip(job), job);
  // Interleaved requests to two scripts: each keeps its own.
  const other = { ...base, script: '/srv/app/other.js', processGroup: 'batch' };
  for (let i = 0; i < 3; i++) {
    t.deepEqual(roundTrip({ ...base, reqId: `a${i}` }), { ...base, reqId: `a${i}` });
    t.deepEqual(roundTrip({ ...other, reqId: `b${i}` }), { ...other, reqId: `b${i}` });
  }
});

test('the per-connection text follows the job: interleaved clients, listeners and protocols each encode their own', (t) => {
  const { httpVersion: _omitted, ...noVersion } = base;
  // Each one differs from the job before it in one field only, so a cache that forgot a field would show.
  const alone: ScriptJob[] = [
    { ...base, remoteAddr: '198.51.100.9' },  // a trusted proxy's client, same peer
    { ...base, peerAddr: '198.51.100.10' },
    { ...base, serverName: 'other.example' },
    { ...base, serverPort: 8080 },
    { ...base, localPort: 8080 },
    { ...base, urlScheme: 'http' },
    { ...base, encrypted: false },
    { ...base, httpVersion: '1.1' },
    noVersion,
  ];
  const places = alone.flatMap((place) => [base, place]);
  for (let round = 0; round < 2; round++) {
    for (const job of places) {
      const sent = { ...job, reqId: `r${round}`, remotePort: 40000 + round };
      t.deepEqual(roundTrip(sent), sent);
    }
  }
});
