// Checks the key, certificate and CA files of an HTTPS listener or an SSL virtual host at config time:
// each must exist, be readable and parse as PEM, and the key must belong to the certificate. A
// problem is an issue at the pointer of its key, so `check` names the file before any handshake fails.
import { readFileSync } from 'node:fs';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import path from 'node:path';
import type { ConfigIssue } from '../errors.js';
import type { ResolvedTlsFiles } from './types.js';

export interface RawTlsFiles {
  readonly key: string;
  readonly cert: string;
  readonly ca?: string | readonly string[];
}

type Push = (issue: Omit<ConfigIssue, 'file'>) => void;

function readText(file: string, pointer: string, push: Push): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    push({ pointer, code: 'SA_ERR_CONFIG_TLS', message: `cannot read ${file}: ${code}`, expected: 'a readable PEM file' });
    return null;
  }
}

function parses(parse: () => unknown, file: string, what: string, pointer: string, push: Push): boolean {
  try {
    parse();
    return true;
  } catch (err) {
    push({ pointer, code: 'SA_ERR_CONFIG_TLS', message: `${file} is not a PEM ${what}: ${(err as Error).message}`, expected: `a PEM ${what}` });
    return false;
  }
}

/** Absolute paths of the files, or null when any of them is unusable (issues pushed). */
export function checkTlsFiles(raw: RawTlsFiles, pointer: string, baseDir: string, push: Push): ResolvedTlsFiles | null {
  const key = path.resolve(baseDir, raw.key);
  const cert = path.resolve(baseDir, raw.cert);
  const ca = raw.ca === undefined ? [] : (typeof raw.ca === 'string' ? [raw.ca] : raw.ca).map((f) => path.resolve(baseDir, f));
  const keyText = readText(key, `${pointer}/key`, push);
  const certText = readText(cert, `${pointer}/cert`, push);
  let ok = keyText !== null && certText !== null;
  let certificate: X509Certificate | null = null;
  if (certText !== null && parses(() => { certificate = new X509Certificate(certText); }, cert, 'certificate', `${pointer}/cert`, push) === false) ok = false;
  if (keyText !== null) {
    let privateKey: ReturnType<typeof createPrivateKey> | null = null;
    if (!parses(() => { privateKey = createPrivateKey(keyText); }, key, 'private key', `${pointer}/key`, push)) ok = false;
    else if (certificate !== null && privateKey !== null && !(certificate as X509Certificate).checkPrivateKey(privateKey)) {
      push({ pointer: `${pointer}/key`, code: 'SA_ERR_CONFIG_TLS', message: `${key} is not the private key of ${cert}` });
      ok = false;
    }
  }
  ca.forEach((file, index) => {
    const at = typeof raw.ca === 'string' ? `${pointer}/ca` : `${pointer}/ca/${index}`;
    const text = readText(file, at, push);
    if (text === null || !parses(() => new X509Certificate(text), file, 'certificate', at, push)) ok = false;
  });
  return ok ? { key, cert, ca } : null;
}
