// `--config-from etcd://…`: hosts and key as the etcd3 client takes them; anything else is a one-line reason.
import test from 'ava';
import { parseEtcdUrl } from '../../plugin/config-feed/etcd-url.js';

test('one host, a key without a leading slash', (t) => {
  t.deepEqual(parseEtcdUrl('etcd://127.0.0.1:2379/scriptalias/proxy.json'), { hosts: ['http://127.0.0.1:2379'], key: 'scriptalias/proxy.json' });
});

test('several hosts (names and [IPv6]), a key with a leading slash (two slashes), %-escapes decoded', (t) => {
  t.deepEqual(parseEtcdUrl('etcd://etcd-0.etcd:2379,[::1]:2379//fleet/proxy%20a.json'), { hosts: ['http://etcd-0.etcd:2379', 'http://[::1]:2379'], key: '/fleet/proxy a.json' });
});

for (const bad of ['etcd://127.0.0.1:2379', 'etcd://127.0.0.1:2379/', 'etcd://127.0.0.1/key', 'etcd://127.0.0.1:0/key', 'etcd://127.0.0.1:70000/key', 'etcd://a:1,/key', 'etcd://a:1/%zz', 'http://a:1/key']) {
  test(`rejects ${bad} with a reason`, (t) => {
    t.is(typeof parseEtcdUrl(bad), 'string');
  });
}
