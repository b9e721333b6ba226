// What a reload changes, for people: process groups and script aliases added, removed or changed.
// An alias is known by its context (server or virtual host name) and URL-path.
import type { ResolvedConfig } from './types.js';

export interface ChangeSet {
  readonly added: readonly string[];
  readonly removed: readonly string[];
  readonly changed: readonly string[];
}

export interface ConfigChanges {
  readonly groups: ChangeSet;
  readonly aliases: ChangeSet;
}

export function diffConfigs(before: ResolvedConfig, after: ResolvedConfig): ConfigChanges {
  return {
    groups: diffMaps(new Map(Object.entries(before.processGroups)), new Map(Object.entries(after.processGroups))),
    aliases: diffMaps(aliasesOf(before), aliasesOf(after)),
  };
}

function aliasesOf(config: ResolvedConfig): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const context of [config.server, ...config.virtualHosts]) {
    // Server-level aliases by URL-path alone; a virtual host's with its name in front.
    const where = context === config.server ? '' : context.serverName ?? '';
    // The pointer says where it is written, not what it does: moving an entry is no change.
    for (const { pointer: _pointer, ...alias } of context.scriptAlias) out.set(`${where}${alias.url}`, alias);
  }
  return out;
}

function diffMaps(before: ReadonlyMap<string, unknown>, after: ReadonlyMap<string, unknown>): ChangeSet {
  const added: string[] = [];
  const removed: string[] = [];
  const changed: string[] = [];
  for (const [key, value] of after) {
    if (!before.has(key)) added.push(key);
    else if (JSON.stringify(before.get(key)) !== JSON.stringify(value)) changed.push(key);
  }
  for (const key of before.keys()) if (!after.has(key)) removed.push(key);
  return { added, removed, changed };
}
