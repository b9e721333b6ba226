// safe-path answers bad paths as Apache did in the recordings: the recording is the source of the
// status, the catalogue its wording. An encoded NUL (%00) is 404 like an encoded slash, not 400.
import test from 'ava';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { normalizeRequestPath } from '../../src/routing/safe-path.js';
import { statusFor } from '../../src/http-error.js';
import { ERROR_CATALOGUE } from '../../src/errors.js';
import { oracleDir } from '../helpers/paths.js';

test('%00 in a path is SA_ERR_ROUTE_NOT_FOUND (404), wherever it sits', (t) => {
  for (const url of ['/app/a%00b', '/app/%00', '/%00/x?q=1', '/app/x/../a%00']) {
    const result = normalizeRequestPath(url);
    t.is(result.kind, 'error', url);
    if (result.kind !== 'error') continue;
    t.is(result.code, 'SA_ERR_ROUTE_NOT_FOUND', url);
    t.is(statusFor(result.code), 404, url);
  }
});

test('the catalogue says where %00 goes: NOT_FOUND names it, BAD_PATH does not', (t) => {
  t.true(ERROR_CATALOGUE.SA_ERR_ROUTE_NOT_FOUND.summary.includes('%00'));
  t.false(ERROR_CATALOGUE.SA_ERR_ROUTE_BAD_PATH.summary.includes('%00'));
});

test('every bad path of the encoded-slash-and-dots recording gets the status Apache answered', (t) => {
  const dir = oracleDir;
  const scenario = JSON.parse(readFileSync(path.join(dir, 'scenarios', 'encoded-slash-and-dots.json'), 'utf8')) as
    { requests: { id: string; path: string }[] };
  const recorded = JSON.parse(readFileSync(path.join(dir, 'recorded', 'encoded-slash-and-dots.json'), 'utf8')) as
    { observations: Record<string, { status: number }> };
  const refused = scenario.requests.filter((r) => normalizeRequestPath(r.path).kind === 'error');
  t.true(refused.some((r) => r.path.includes('%00')), 'the recording holds a %00 request');
  for (const request of refused) {
    const result = normalizeRequestPath(request.path);
    if (result.kind !== 'error') continue;
    t.is(statusFor(result.code), recorded.observations[request.id]!.status, `${request.id} ${request.path}`);
  }
});
