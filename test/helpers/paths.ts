// Where things are, from a compiled test (dist/test/...) back to the repo's own folders.
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const fixturesDir = path.join(repoRoot, 'test', 'fixtures');
// The conformance oracle, vendored from shared/conformance (scripts/refresh-oracle.sh), so the suite
// needs nothing outside the repository.
export const oracleDir = path.join(repoRoot, 'test', 'conformance', 'oracle');

export function fixture(...parts: string[]): string {
  return path.join(fixturesDir, ...parts);
}
