// import-apache: an Apache + mod_wsgi configuration → a proxy.json object and a report of every
// line left out or read differently. Reads (read.ts), collects per context (contexts.ts), builds
// the config (finish.ts). Pure apart from reading the configuration and stat-ing its paths.
import { readApacheConfig } from './read.js';
import { collect } from './contexts.js';
import { finish } from './finish.js';
import { Report, type ReportLine } from './report.js';

export { formatReportLine, type ReportLine } from './report.js';
export { MAPPINGS, type Mapping } from './mapping.js';

export interface ImportResult {
  /** The proxy.json document. */
  readonly config: Record<string, unknown>;
  readonly report: readonly ReportLine[];
  /** Every configuration file read, main file first. */
  readonly files: readonly string[];
}

/** Throws a ScriptAliasError (an IMPORT-area code of the catalogue) with file:line for a file Apache would reject. */
export function importApache(file: string, options: { serverRoot?: string } = {}): ImportResult {
  const read = readApacheConfig(file, options);
  const report = new Report();
  const config = finish(collect(read.nodes, read.serverRoot, report), report);
  return { config, report: report.lines(read.files), files: read.files };
}
