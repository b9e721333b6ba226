// `scriptalias import-apache <httpd.conf> [-o proxy.json] [--strict]`: the CLI edge of
// src/apache-import. Validates the result with loadConfig (the `check` pipeline) before writing;
// exit 2 and no file written when Apache would reject the input, the result fails validation, or
// --strict and the report is not empty.
import { writeFileSync, renameSync } from 'node:fs';
import path from 'node:path';
import { importApache, formatReportLine } from '../src/apache-import/index.js';
import { ConfigError, formatIssue, isScriptAliasError } from '../src/errors.js';
import { loadConfig } from './index.js';

export async function importApacheCommand(file: string, output: string | undefined, strict: boolean): Promise<number> {
  let result;
  try {
    result = importApache(file);
  } catch (err) {
    const code = isScriptAliasError(err) ? err.code : (err as NodeJS.ErrnoException).code;
    process.stderr.write(`scriptalias: ${err instanceof Error ? err.message : String(err)}${code ? ` [${code}]` : ''}\n`);
    return 2;
  }
  for (const line of result.report) process.stderr.write(formatReportLine(line) + '\n');
  const text = JSON.stringify(result.config, null, 2) + '\n';
  try {
    // Relative paths do not occur in the output (all absolute), so the folder given does not matter.
    await loadConfig(result.config, { baseDir: output === undefined || output === '-' ? process.cwd() : path.dirname(path.resolve(output)) });
  } catch (err) {
    if (err instanceof ConfigError) {
      for (const issue of err.issues) process.stderr.write(formatIssue(issue) + '\n');
      process.stderr.write('scriptalias: the imported config does not pass check; nothing written\n');
      return 2;
    }
    throw err;
  }
  const left = result.report.length;
  process.stderr.write(`${left === 0 ? 'everything translated' : `${left} line${left === 1 ? '' : 's'} left out or changed (listed above)`}\n`);
  if (strict && left > 0) {
    process.stderr.write('scriptalias: --strict: nothing written\n');
    return 2;
  }
  if (output === undefined || output === '-') {
    process.stdout.write(text);
  } else {
    // Write-then-rename, so a reader never sees half a file.
    const temp = path.join(path.dirname(output), `.${path.basename(output)}.${process.pid}.tmp`);
    writeFileSync(temp, text);
    renameSync(temp, output);
  }
  return 0;
}
