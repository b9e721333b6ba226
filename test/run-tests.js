// Runs the ava suite with TAP output, passes it through, and ends with the line CI reads:
// "N passed, M failed". Exit code is ava's.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

const args = ['ava', '--tap', ...process.argv.slice(2)];
const child = spawn('npx', args, { stdio: ['ignore', 'pipe', 'inherit'] });
let passed = 0;
let failed = 0;
const lines = createInterface({ input: child.stdout });
lines.on('line', (line) => {
  process.stdout.write(line + '\n');
  if (/^ok \d+/.test(line) && !/# SKIP/.test(line)) passed++;
  else if (/^not ok \d+/.test(line) && !/# TODO/.test(line)) failed++;
});
child.on('close', (code) => {
  process.stdout.write(`${passed} passed, ${failed} failed\n`);
  process.exit(code ?? 1);
});
