// The client connection's own facts (peer address and port, TLS or not, the listener's port), read
// once per connection and kept on its socket: a socket's address getters go through libuv lookups
// and megamorphic loads on every call (perf: ~0.2 µs of an inline hello request), and on a
// keep-alive connection they answer the same for every request.
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { ForwardedFacts } from '../routing/forwarded.js';
import { isCompatHttp2 } from '../protocol/h2.js';

export interface ConnectionFacts {
  readonly peerAddr: string;
  readonly peerPort: number;
  readonly localPort: number;
  readonly encrypted: boolean;
  /** The request facts when no trusted proxy speaks for the client: the socket's own. */
  readonly direct: ForwardedFacts;
}

const kFacts = Symbol('scriptalias.connectionFacts');
type Described = TLSSocket & { [kFacts]?: ConnectionFacts };

function describe(socket: TLSSocket): ConnectionFacts {
  const peerAddr = socket.remoteAddress ?? '';
  const encrypted = socket.encrypted === true;
  const localPort = socket.localPort ?? 0;
  return Object.freeze({
    peerAddr, peerPort: socket.remotePort ?? 0, localPort, encrypted,
    direct: Object.freeze({ remoteAddr: peerAddr, urlScheme: encrypted ? 'https' : 'http', serverPort: localPort, host: null }),
  });
}

export function connectionFacts(req: IncomingMessage): ConnectionFacts {
  const socket = req.socket as Described;
  // Node's HTTP/2 compatibility socket is a proxy of the session's: nothing is stored on it.
  if (isCompatHttp2(req)) return describe(socket);
  let facts = socket[kFacts];
  // Read while the connection is up (a socket that closed says undefined): not kept until it has a peer.
  if (facts === undefined) {
    facts = describe(socket);
    if (facts.peerAddr !== '') socket[kFacts] = facts;
  }
  return facts;
}
