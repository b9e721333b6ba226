// Bare Node's HTTP/2 server (the h2 bench's baseline): the shared workloads/app.js as the listener of
// http2.createSecureServer, allowHTTP1 as the proxy's listener has it. Args: app.js key cert port.
import http2 from 'node:http2';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const [appFile, key, cert, port] = process.argv.slice(2);
const app = createRequire(import.meta.url)(appFile);
const listener = app.application ?? app;
http2.createSecureServer({ key: readFileSync(key), cert: readFileSync(cert), allowHTTP1: true }, listener)
  .listen(Number(port), '127.0.0.1', () => process.stdout.write('ready\n'));
