// Compiles the JSON Schema once (per loader instance) and turns ajv errors into ConfigIssues with
// the JSON pointer of the offending key and what was expected.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ErrorObject, ValidateFunction } from 'ajv';
import type { ConfigIssue } from '../errors.js';

const schemaDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'schema');

export function loadSchemas(): { proxy: Record<string, unknown>; block: Record<string, unknown> } {
  const read = (name: string): Record<string, unknown> => JSON.parse(readFileSync(path.join(schemaDir, name), 'utf8')) as Record<string, unknown>;
  return { proxy: read('proxy-config.schema.json'), block: read('scriptalias.schema.json') };
}

export function compileProxySchema(): ValidateFunction {
  const { proxy, block } = loadSchemas();
  const ajv = new Ajv2020({ allErrors: true, strict: true, useDefaults: true, allowUnionTypes: true });
  ajv.addSchema(block);
  return ajv.compile(proxy);
}

/** What the schema's defaults make of an empty processGroups entry: the one place group defaults live
 *  (the global group's Python companions take them too). Computed once per process. */
let groupDefaults: Readonly<Record<string, unknown>> | null = null;
export function processGroupDefaults(): Readonly<Record<string, unknown>> {
  if (groupDefaults === null) {
    const { block } = loadSchemas();
    const ajv = new Ajv2020({ strict: true, useDefaults: true, allowUnionTypes: true });
    ajv.addSchema(block);
    const validate = ajv.getSchema(`${String(block.$id)}#/$defs/processGroup`);
    const empty: Record<string, unknown> = {};
    if (!validate || !validate(empty)) throw new Error('schema: #/$defs/processGroup is missing or rejects {}');
    groupDefaults = Object.freeze(empty);
  }
  return groupDefaults;
}

function pointerOf(error: ErrorObject): string {
  if (error.keyword === 'additionalProperties') {
    const extra = (error.params as { additionalProperty: string }).additionalProperty;
    return `${error.instancePath}/${extra.replace(/~/g, '~0').replace(/\//g, '~1')}`;
  }
  if (error.keyword === 'required') {
    const missing = (error.params as { missingProperty: string }).missingProperty;
    return `${error.instancePath}/${missing}`;
  }
  return error.instancePath;
}

function describe(error: ErrorObject): { message: string; expected?: string } {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperties':
      return { message: `unknown key "${String(params.additionalProperty)}"`, expected: 'one of the keys the schema defines' };
    case 'required':
      return { message: `missing required key "${String(params.missingProperty)}"` };
    case 'enum':
      return { message: 'value not allowed', expected: `one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}` };
    case 'type':
      return { message: `wrong type`, expected: String(params.type) };
    case 'minimum':
    case 'maximum':
      return { message: `out of range`, expected: `${error.keyword === 'minimum' ? '>=' : '<='} ${String(params.limit)}` };
    case 'pattern':
      return { message: 'does not match the pattern', expected: `a string matching ${String(params.pattern)}` };
    case 'propertyNames':
      return { message: `invalid name "${String(params.propertyName)}"`, expected: 'letters, digits, "_", "." or "-"' };
    default:
      return { message: error.message ?? error.keyword };
  }
}

/** ajv errors → issues; a oneOf over the object and directive forms is reported once, by its branch. */
export function schemaIssues(errors: readonly ErrorObject[], file: string): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const seen = new Set<string>();
  // For a oneOf (scriptAlias entry: object | directive string), report the branch that matches the
  // value's type, not both branches and the oneOf itself.
  const branchErrors = errors.filter((e) => e.keyword !== 'oneOf');
  for (const error of branchErrors) {
    const typeMismatchOfOtherBranch = error.keyword === 'type' && errors.some((o) => o !== error && o.instancePath === error.instancePath && o.keyword !== 'type' && o.keyword !== 'oneOf');
    if (typeMismatchOfOtherBranch) continue;
    const pointer = pointerOf(error);
    const { message, expected } = describe(error);
    const key = `${pointer}\0${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    issues.push({ file, pointer, code: 'SA_ERR_CONFIG_SCHEMA', message, ...(expected ? { expected } : {}) });
  }
  if (issues.length === 0) {
    for (const error of errors) issues.push({ file, pointer: error.instancePath, code: 'SA_ERR_CONFIG_SCHEMA', message: error.message ?? 'invalid' });
  }
  return issues;
}
