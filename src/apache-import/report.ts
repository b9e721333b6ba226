// The import report: one line per Apache line that was left out or read differently, with
// file:line and why. Nothing the importer does not translate is dropped without a line here.
import type { WarningCode } from '../errors.js';

export interface ReportLine {
  readonly file: string;
  readonly line: number;
  readonly directive: string;
  readonly code: Extract<WarningCode, 'SA_WRN_IMPORT_UNTRANSLATED' | 'SA_WRN_IMPORT_SEMANTICS'>;
  readonly why: string;
}

interface Located { readonly file: string; readonly line: number; readonly name: string }

export class Report {
  readonly #lines: ReportLine[] = [];

  untranslated(node: Located, why: string): void {
    this.#lines.push({ file: node.file, line: node.line, directive: node.name, code: 'SA_WRN_IMPORT_UNTRANSLATED', why });
  }

  semantics(node: Located, why: string): void {
    this.#lines.push({ file: node.file, line: node.line, directive: node.name, code: 'SA_WRN_IMPORT_SEMANTICS', why });
  }

  /** In file order (files in the order they were read), then line. */
  lines(fileOrder: readonly string[]): ReportLine[] {
    const rank = (f: string): number => { const i = fileOrder.indexOf(f); return i < 0 ? fileOrder.length : i; };
    return [...this.#lines].sort((a, b) => rank(a.file) - rank(b.file) || a.line - b.line);
  }
}

export function formatReportLine(line: ReportLine): string {
  const kind = line.code === 'SA_WRN_IMPORT_SEMANTICS' ? 'changed' : 'left out';
  return `${line.file}:${line.line}: ${line.directive}: ${kind}: ${line.why} [${line.code}]`;
}
