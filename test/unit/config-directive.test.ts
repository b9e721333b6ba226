// config/directive: mod_wsgi's "URL-path target [option=value ...]" strings (spec §2.1).
import test from 'ava';
import { parseDirective } from '../../src/config/directive.js';

test('every option parses into the object form', (t) => {
  const parsed = parseDirective('/app scripts/app.js process-group=g application-group=%{GLOBAL} callable-object=handler pass-authorization=On');
  t.deepEqual(parsed, { ok: true, entry: { url: '/app', path: 'scripts/app.js', processGroup: 'g', applicationGroup: '%{GLOBAL}', callableObject: 'handler', passAuthorization: true } });
});

test('double quotes group a word with spaces', (t) => {
  t.deepEqual(parseDirective('"/my app" "dir with space/app.js"'), { ok: true, entry: { url: '/my app', path: 'dir with space/app.js' } });
});

test('pass-authorization is case-insensitive On/Off', (t) => {
  t.deepEqual(parseDirective('/a a.js pass-authorization=off'), { ok: true, entry: { url: '/a', path: 'a.js', passAuthorization: false } });
  t.false(parseDirective('/a a.js pass-authorization=yes').ok);
});

for (const bad of ['/app', '/app app.js process-group', '/app app.js bogus=1', '/app app.js process-group=', 'app app.js', '"/app app.js']) {
  test(`malformed directive is refused: ${bad}`, (t) => {
    t.false(parseDirective(bad).ok);
  });
}
