// Parses `etcd://host:port[,host:port…]/key` (the key is the rest of the path, %-decoded; a key that
// starts with a slash is written with two: etcd://127.0.0.1:2379//scriptalias/proxy.json).

export interface EtcdTarget {
  /** gRPC endpoints as the etcd3 client takes them: http://host:port. */
  readonly hosts: readonly string[];
  readonly key: string;
}

const HOST = /^(?:\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

/** The target, or a one-line reason the URL is not one. */
export function parseEtcdUrl(url: string): EtcdTarget | string {
  const match = /^etcd:\/\/([^/]*)\/(.*)$/.exec(url);
  if (!match) return `'${url}' is not etcd://host:port[,host:port]/key`;
  const hosts = match[1]!.split(',');
  for (const host of hosts) {
    const port = HOST.exec(host);
    if (!port || Number(port[1]) < 1 || Number(port[1]) > 65535) return `'${host}' in ${url} is not host:port`;
  }
  let key: string;
  try {
    key = decodeURIComponent(match[2]!);
  } catch {
    return `the key in ${url} has a bad %-escape`;
  }
  if (key === '') return `${url} names no key`;
  return { hosts: hosts.map((h) => `http://${h}`), key };
}
