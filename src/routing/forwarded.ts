// Trusted forwarding headers, after mod_wsgi's WSGITrustedProxies + WSGITrustedProxyHeaders: only
// from a listed peer address does the one configured header of each purpose change what a script
// sees (client address, host, port, scheme); every header of a configured purpose is dropped from
// the request otherwise, and the other headers of a purpose are dropped even from a trusted peer,
// so a script never reads a forwarding header that nobody vouched for. Pure apart from BlockList.
import net from 'node:net';
import type { ResolvedTrust } from '../config/types.js';

export type ForwardPurpose = 'client' | 'host' | 'port' | 'scheme';

/** mod_wsgi's header sets, by purpose (lower-case names). */
export const FORWARD_HEADERS: Readonly<Record<ForwardPurpose, readonly string[]>> = {
  client: ['x-forwarded-for', 'x-client-ip', 'x-real-ip'],
  host: ['x-forwarded-host', 'x-host'],
  port: ['x-forwarded-port'],
  scheme: ['x-forwarded-proto', 'x-forwarded-scheme', 'x-scheme', 'x-forwarded-https', 'x-forwarded-ssl'],
};

export function purposeOf(header: string): ForwardPurpose | null {
  const lower = header.toLowerCase();
  for (const [purpose, names] of Object.entries(FORWARD_HEADERS) as [ForwardPurpose, readonly string[]][]) {
    if (names.includes(lower)) return purpose;
  }
  return null;
}

/** An address or CIDR range as written in trustedProxies; null when it is neither. */
export function parseProxyAddress(text: string): { address: string; prefix: number | null; family: 'ipv4' | 'ipv6' } | null {
  const slash = text.indexOf('/');
  const address = slash < 0 ? text : text.slice(0, slash);
  const version = net.isIP(address);
  if (version === 0) return null;
  const family = version === 4 ? 'ipv4' : 'ipv6';
  if (slash < 0) return { address, prefix: null, family };
  const prefixText = text.slice(slash + 1);
  const prefix = Number(prefixText);
  if (!/^\d+$/.test(prefixText) || prefix > (version === 4 ? 32 : 128)) return null;
  return { address, prefix, family };
}

/** What a script sees of the client and the server after the trust rules. */
export interface ForwardedFacts {
  readonly remoteAddr: string;
  readonly urlScheme: 'http' | 'https';
  /** Port for SERVER_PORT. */
  readonly serverPort: number;
  /** Host header value to give the script, or null to keep the request's own. */
  readonly host: string | null;
}

export interface ForwardingRules {
  /** False when no trustedProxyHeaders are configured: the socket's facts stand, nothing is stripped. */
  readonly active: boolean;
  /** The facts for one request, from its peer and headers, and the forwarding headers it must lose
   *  before a script sees it (every one of a configured purpose, except from a trusted peer the one
   *  that was trusted). */
  facts(peer: string, encrypted: boolean, localPort: number, headers: Readonly<Record<string, string | string[] | undefined>>): { facts: ForwardedFacts; strip: readonly string[] };
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** IPv4-mapped IPv6 peers (::ffff:10.0.0.1) are checked as the IPv4 address they are. */
function plainAddress(address: string): string {
  return address.startsWith('::ffff:') && net.isIPv4(address.slice(7)) ? address.slice(7) : address;
}

export function buildForwardingRules(trust: ResolvedTrust): ForwardingRules {
  const list = new net.BlockList();
  for (const entry of trust.proxies) {
    const parsed = parseProxyAddress(entry);
    if (!parsed) continue; // rejected at config load
    if (parsed.prefix === null) list.addAddress(parsed.address, parsed.family);
    else list.addSubnet(parsed.address, parsed.prefix, parsed.family);
  }
  const chosen = new Map<ForwardPurpose, string>();
  for (const header of trust.headers) {
    const purpose = purposeOf(header);
    if (purpose) chosen.set(purpose, header.toLowerCase());
  }
  // Every header of a purpose that has a trusted one is a header somebody may try to spoof.
  const stripUntrusted = [...chosen.keys()].flatMap((purpose) => FORWARD_HEADERS[purpose]);
  const stripTrusted = stripUntrusted.filter((name) => ![...chosen.values()].includes(name));
  const isTrusted = (address: string): boolean => {
    const plain = plainAddress(address);
    const version = net.isIP(plain);
    return version !== 0 && list.check(plain, version === 4 ? 'ipv4' : 'ipv6');
  };

  return {
    active: chosen.size > 0,
    facts(peer, encrypted, localPort, headers) {
      const base: ForwardedFacts = { remoteAddr: peer, urlScheme: encrypted ? 'https' : 'http', serverPort: localPort, host: null };
      if (chosen.size === 0 || !isTrusted(peer)) return { facts: base, strip: stripUntrusted };
      let { remoteAddr, urlScheme, serverPort } = base;
      let host: string | null = null;
      const clientHeader = chosen.get('client');
      const client = clientHeader ? first(headers[clientHeader]) : undefined;
      if (client !== undefined) {
        // X-Forwarded-For lists every hop; the client is the last address no trusted proxy added.
        const hops = client.split(',').map((s) => s.trim()).filter((s) => s !== '');
        let pick: string | undefined;
        for (let i = hops.length - 1; i >= 0; i--) {
          pick = hops[i];
          if (!isTrusted(pick!)) break;
        }
        if (pick !== undefined && net.isIP(plainAddress(pick)) !== 0) remoteAddr = pick;
      }
      const hostHeader = chosen.get('host');
      const forwardedHost = hostHeader ? first(headers[hostHeader]) : undefined;
      if (forwardedHost !== undefined && /^[A-Za-z0-9.:[\]-]+$/.test(forwardedHost.trim())) host = forwardedHost.trim();
      const portHeader = chosen.get('port');
      const forwardedPort = portHeader ? Number(first(headers[portHeader])) : NaN;
      if (Number.isInteger(forwardedPort) && forwardedPort > 0 && forwardedPort < 65536) serverPort = forwardedPort;
      const schemeHeader = chosen.get('scheme');
      const scheme = schemeHeader ? first(headers[schemeHeader])?.trim().toLowerCase() : undefined;
      if (scheme !== undefined) {
        if (schemeHeader === 'x-forwarded-https' || schemeHeader === 'x-forwarded-ssl') urlScheme = scheme === 'on' || scheme === '1' ? 'https' : 'http';
        else if (scheme === 'https' || scheme === 'http') urlScheme = scheme;
      }
      return { facts: { remoteAddr, urlScheme, serverPort, host }, strip: stripTrusted };
    },
  };
}
