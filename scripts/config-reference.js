#!/usr/bin/env node
// Renders the README's config reference from schema/ (the single source of truth): one row per key
// with its type, default and description. `node scripts/config-reference.js --write` updates
// README.md between the config-reference markers; without --write it prints the table.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const schemas = ['proxy-config.schema.json', 'scriptalias.schema.json']
  .map((name) => JSON.parse(readFileSync(path.join(root, 'schema', name), 'utf8')));
const byId = new Map(schemas.map((s) => [s.$id, s]));

function resolveRef(ref, base) {
  const [file, pointer = ''] = ref.split('#');
  let doc = file ? byId.get(new URL(file, base.$id).href) ?? schemas.find((s) => s.$id.endsWith(file)) : base;
  if (!doc) throw new Error(`cannot resolve ${ref}`);
  let node = doc;
  for (const part of pointer.split('/').filter(Boolean)) node = node[decodeURIComponent(part)];
  return { node, doc };
}

function typeOf(node) {
  if (node.enum) return node.enum.map((v) => JSON.stringify(v)).join(' \\| ');
  if (node.const !== undefined) return JSON.stringify(node.const);
  const alts = node.oneOf ?? node.anyOf;
  if (alts) return alts.map((a) => a.$ref ? a.$ref.split('/').pop() : typeOf(a)).join(' \\| ');
  if (node.type === 'array' && node.items) return `array of ${node.items.$ref ? node.items.$ref.split('/').pop() : typeOf(node.items)}`;
  if (Array.isArray(node.type)) return node.type.join(' \\| ');
  return node.type ?? (node.$ref ? node.$ref.split('/').pop() : 'any');
}

const rows = [];
const seen = new Set();
function walk(node, doc, keyPath) {
  if (node.$ref) {
    const target = resolveRef(node.$ref, doc);
    const merged = { ...target.node, ...node, $ref: undefined };
    delete merged.$ref;
    walk(merged, target.doc, keyPath);
    return;
  }
  if (keyPath) {
    const row = `| \`${keyPath}\` | ${typeOf(node)} | ${node.default === undefined ? '' : `\`${JSON.stringify(node.default)}\``} | ${(node.description ?? '').replace(/\|/g, '\\|').replace(/\n/g, ' ')} |`;
    if (!seen.has(keyPath)) { seen.add(keyPath); rows.push(row); }
  }
  for (const [key, child] of Object.entries(node.properties ?? {})) walk(child, doc, keyPath ? `${keyPath}.${key}` : key);
  if (node.additionalProperties && typeof node.additionalProperties === 'object') walk(node.additionalProperties, doc, `${keyPath}.<name>`);
  const items = node.items;
  if (items) {
    for (const alt of [items, ...(items.oneOf ?? items.anyOf ?? [])]) {
      if (alt.$ref) walk(alt, doc, `${keyPath}[]`);
      else if (alt.properties) walk(alt, doc, `${keyPath}[]`);
    }
  }
  for (const alt of node.oneOf ?? node.anyOf ?? []) if (alt.$ref || alt.properties) walk(alt, doc, keyPath);
}

walk(schemas[0], schemas[0], '');
const table = ['| key | type | default | description |', '|---|---|---|---|', ...rows].join('\n');

if (process.argv.includes('--write')) {
  const file = path.join(root, 'README.md');
  const readme = readFileSync(file, 'utf8');
  const next = readme.replace(/(<!-- config-reference:start -->\n)[\s\S]*?(<!-- config-reference:end -->)/, `$1${table}\n$2`);
  writeFileSync(file, next);
} else {
  process.stdout.write(table + '\n');
}
