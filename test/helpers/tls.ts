// Certificates made at test time with the openssl CLI (Debian's openssl): a self-signed certificate
// per identity, with its names as subjectAltName, and an HTTPS GET that checks it against that
// certificate, sending the SNI name asked for.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import type { PeerCertificate, TLSSocket } from 'node:tls';

export interface TestCertificate {
  readonly key: string;
  readonly cert: string;
  readonly pem: string;
}

/** A self-signed certificate for `names` (the first is the CN) written to dir/<file>.key|.crt. */
export function makeCertificate(dir: string, file: string, names: readonly string[]): TestCertificate {
  const key = path.join(dir, `${file}.key`);
  const cert = path.join(dir, `${file}.crt`);
  const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', key, '-out', cert, '-days', '2', '-subj', `/CN=${names[0]}`,
    '-addext', `subjectAltName=${names.map((n) => `DNS:${n}`).join(',')}`], { encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`openssl failed: ${made.stderr}`);
  return { key, cert, pem: readFileSync(cert, 'utf8') };
}

export interface TlsAnswer {
  readonly status: number;
  readonly body: string;
  readonly peer: PeerCertificate;
}

/** GET over TLS to 127.0.0.1:port with SNI + Host `name`, trusting only `ca`. */
export function httpsGet(port: number, name: string, rawPath: string, ca: string, headers: Record<string, string> = {}): Promise<TlsAnswer> {
  return new Promise((resolve, reject) => {
    const req = https.request({ host: '127.0.0.1', port, path: rawPath, servername: name, ca, agent: false,
      headers: { host: name, ...headers }, checkServerIdentity: () => undefined }, (res) => {
      const peer = (res.socket as TLSSocket).getPeerCertificate();
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), peer }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}
