// The config pipeline, one code path for `check`, `serve` and reload:
// read → JSON → schema (ajv, defaults applied to a copy) → directives + cross-field rules → resolve (frozen).
// Throws one ConfigError with every issue; never returns a partial config.
import type { ValidateFunction } from 'ajv';
import { ConfigError } from '../errors.js';
import type { ResolvedConfig } from './types.js';
import { readConfigFile, parseConfigText } from './load.js';
import { compileProxySchema, schemaIssues } from './schema.js';
import { resolveConfig } from './resolve.js';
import { tooDeep, MAX_CONFIG_DEPTH } from './json-scan.js';

export interface LoadOptions {
  /** Environment for %{ENV:NAME} and PATH lookups; read at call time (default process.env). */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

let validator: ValidateFunction | null = null;
/** The compiled schema is immutable, so one per process is shared (compiling is the slow part). */
function validate(): ValidateFunction {
  validator ??= compileProxySchema();
  return validator;
}

export async function loadConfigFile(file: string, options: LoadOptions = {}): Promise<ResolvedConfig> {
  const loaded = await readConfigFile(file);
  if (!loaded.ok) throw new ConfigError(loaded.issues);
  return resolveConfigObject(loaded.raw, file, options);
}

/**
 * A config given as text (an etcd value, what a cluster primary hands its proxy processes): the same
 * scan and checks as a file. `file` names where it came from in issues and anchors relative paths.
 */
export async function loadConfigText(text: string, file: string, options: LoadOptions = {}): Promise<ResolvedConfig> {
  const loaded = parseConfigText(text, file);
  if (!loaded.ok) throw new ConfigError(loaded.issues);
  return resolveConfigObject(loaded.raw, file, options);
}

export async function resolveConfigObject(raw: unknown, file: string, options: LoadOptions = {}): Promise<ResolvedConfig> {
  // An inline object skips the text scan; bound its depth here (cycles included) before any recursive pass.
  const deep = tooDeep(raw, MAX_CONFIG_DEPTH);
  if (deep !== null) throw new ConfigError([{ file, pointer: deep, code: 'SA_ERR_CONFIG_JSON', message: `config too deep: nested deeper than ${MAX_CONFIG_DEPTH} levels (or cyclic)` }]);
  const copy = structuredClone(raw) as Record<string, unknown>;
  const check = validate();
  if (!check(copy)) throw new ConfigError(schemaIssues(check.errors ?? [], file));
  const { config, issues } = resolveConfig(copy, file, options.env ?? process.env);
  if (config === null || issues.length > 0) throw new ConfigError(issues);
  return config;
}
