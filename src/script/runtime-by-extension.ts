// The one place a script's file extension picks its runtime (.wsgi/.py → python, .js/.mjs/.cjs →
// node). Every other module asks this function, so adding an extension is a one-line change here.
import path from 'node:path';
import type { Runtime } from '../config/types.js';

/** Extension (lower case, with the dot) → the runtime that runs it whatever the group's runtime. */
const RUNTIME_BY_EXTENSION: ReadonlyMap<string, Runtime> = new Map<string, Runtime>([
  ['.wsgi', 'python'], ['.py', 'python'],
  ['.js', 'node'], ['.mjs', 'node'], ['.cjs', 'node'],
]);

/** The runtime a file's extension demands; null when the extension says nothing (the group decides). */
export function runtimeByExtension(file: string): Runtime | null {
  // Case-insensitive, as Apache's handler mapping is on case-insensitive filesystems and as before.
  return RUNTIME_BY_EXTENSION.get(path.extname(file).toLowerCase()) ?? null;
}

/** The runtime that runs `file`: its extension's, else `chosen` (the alias's, group's or default runtime, DESIGN §2). */
export function runtimeOfScript(file: string, chosen: Runtime): Runtime {
  return runtimeByExtension(file) ?? chosen;
}
