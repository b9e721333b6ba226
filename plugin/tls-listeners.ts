// HTTPS listeners for `serve`: redbird builds them from proxy.ssl through the server module we hand
// it, so we (1) hold their listen() until the plugin is ready, as for the plain port, and (2) put our
// SNI lookup first: a plugin virtual host with a certificate of its own gets it; a name redbird has a
// route certificate (or Let's Encrypt) for goes to redbird's lookup; any other name gets proxy.ssl's
// certificate, never a failed handshake.
import https from 'node:https';
import http2 from 'node:http2';
import net from 'node:net';
import tls, { type SecureContext } from 'node:tls';
import { readFileSync } from 'node:fs';
import type { Server } from 'node:net';
import type { ResolvedConfig, ResolvedTlsFiles } from '../src/config/types.js';

type SniCallback = (servername: string, cb: (err: Error | null, ctx?: SecureContext) => void) => void;
type TlsOptions = tls.TlsOptions & { SNICallback?: SniCallback };
type Handler = (req: never, res: never) => void;

/** What redbird keeps of its own certificates (route `ssl` options, Let's Encrypt). */
export interface RedbirdCertificates {
  readonly certs?: Readonly<Record<string, unknown>>;
  readonly opts?: { readonly letsencrypt?: { readonly path?: string } };
}

const contexts = new WeakMap<ResolvedConfig, ReadonlyMap<string, SecureContext>>();

function secureContext(files: ResolvedTlsFiles): SecureContext {
  return tls.createSecureContext({
    key: readFileSync(files.key), cert: readFileSync(files.cert),
    ...(files.ca.length > 0 ? { ca: files.ca.map((f) => readFileSync(f)) } : {}),
  });
}

/** Host name (lower case) → the certificate of the virtual host that has one, built once per config. */
export function virtualHostContexts(config: ResolvedConfig): ReadonlyMap<string, SecureContext> {
  let table = contexts.get(config);
  if (!table) {
    const built = new Map<string, SecureContext>();
    for (const vhost of config.virtualHosts) {
      if (!vhost.ssl || vhost.serverName === null) continue;
      const context = secureContext(vhost.ssl);
      for (const name of [vhost.serverName, ...vhost.serverAliases]) {
        if (!built.has(name.toLowerCase())) built.set(name.toLowerCase(), context);
      }
    }
    table = built;
    contexts.set(config, table);
  }
  return table;
}

export interface DeferredTlsServers {
  /** The server module for one redbird `ssl` entry. */
  moduleFor(http2Enabled: boolean): { createServer(options: TlsOptions, handler: Handler): Server };
  /** Every HTTPS server redbird created, in proxy.ssl order; listen() does nothing until listenAll. */
  readonly servers: Server[];
}

/**
 * `currentConfig` is read at each handshake, so a reload that adds a virtual host certificate takes
 * effect for the next connection; `redbird()` gives redbird's certificate store once it exists.
 */
export function deferredTlsServers(currentConfig: () => ResolvedConfig | null, redbird: () => RedbirdCertificates | null): DeferredTlsServers {
  const servers: Server[] = [];
  const sniFirst = (redbirdSni: SniCallback | undefined): SniCallback => (servername, cb) => {
    const name = servername.toLowerCase();
    const config = currentConfig();
    const own = config ? virtualHostContexts(config).get(name) : undefined;
    if (own) { cb(null, own); return; }
    const store = redbird();
    if (redbirdSni && (store?.certs?.[servername] !== undefined || store?.opts?.letsencrypt?.path)) { redbirdSni(servername, cb); return; }
    cb(null); // the listener's default certificate: proxy.ssl's
  };
  return {
    servers,
    moduleFor(http2Enabled) {
      return {
        createServer(options, handler) {
          // noDelay: an answer through a worker hop leaves in more than one write (h2: HEADERS, then
          // DATA frames on later ticks); with Nagle each small one waited for the client's delayed ACK
          // (~40 ms per h2 request). http.Server sets it by default, tls/http2 servers do not.
          const tlsOptions: TlsOptions = { noDelay: true, ...options, SNICallback: sniFirst(options.SNICallback) } as TlsOptions;
          const server = http2Enabled
            ? http2.createSecureServer({ ...tlsOptions, allowHTTP1: true } as http2.SecureServerOptions, handler as never)
            : https.createServer(tlsOptions, handler as never);
          const deferred = server as unknown as Server;
          deferred.listen = (() => deferred) as Server['listen'];
          servers.push(deferred);
          return deferred;
        },
      };
    },
  };
}

/** Opens a deferred server for real; resolves with its port. */
export async function listenNow(server: Server, port: number, host: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    const listen = net.Server.prototype.listen as (this: Server, port: number, host: string, cb: () => void) => Server;
    listen.call(server, port, host, () => { server.removeListener('error', onError); resolve(); });
  });
  const address = server.address();
  return typeof address === 'object' && address !== null ? address.port : port;
}
