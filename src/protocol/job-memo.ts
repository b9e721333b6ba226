// Text a hop's head derives from the few fields of a job that repeat request after request: those the
// script's group and alias decide, and those the client connection and listener decide. Made once and
// reused while later jobs agree on those fields (bench/README.md: building them per request was most
// of what a head cost). Both heads (the JS realms' job header, the CPython worker's environ) use these.
import type { ScriptJob } from './job.js';

/** The fields a script's group and alias decide. */
export function sameScriptSettings(a: ScriptJob, b: ScriptJob): boolean {
  return a.callable === b.callable && a.processGroup === b.processGroup && a.applicationGroup === b.applicationGroup
    && a.multiprocess === b.multiprocess && a.multithread === b.multithread && a.runOnce === b.runOnce
    && a.passAuthorization === b.passAuthorization && a.reloading === b.reloading;
}

/** The fields the client connection and listener decide (the peer's own port, which differs per
 *  connection, is not among them). */
export function samePlace(a: ScriptJob, b: ScriptJob): boolean {
  return a.remoteAddr === b.remoteAddr && a.serverName === b.serverName && a.serverPort === b.serverPort && a.urlScheme === b.urlScheme
    && a.encrypted === b.encrypted && a.peerAddr === b.peerAddr && a.localPort === b.localPort && a.httpVersion === b.httpVersion;
}

/** `make`'s result per script, made again when a job of that script differs in `same`'s fields.
 *  Bounded: a folder alias has as many scripts as files. */
export function perScript<T>(same: (a: ScriptJob, b: ScriptJob) => boolean, make: (job: ScriptJob) => T): (job: ScriptJob) => T {
  const known = new Map<string, { readonly job: ScriptJob; readonly value: T }>();
  return (job) => {
    const entry = known.get(job.script);
    if (entry !== undefined && same(entry.job, job)) return entry.value;
    const value = make(job);
    if (known.size >= 1024) known.clear();
    known.set(job.script, { job, value });
    return value;
  };
}

/** `make`'s result for the last job, made again when the next one differs in `same`'s fields. */
export function forLastJob<T>(same: (a: ScriptJob, b: ScriptJob) => boolean, make: (job: ScriptJob) => T): (job: ScriptJob) => T {
  let last: { readonly job: ScriptJob; readonly value: T } | null = null;
  return (job) => {
    if (last !== null && same(last.job, job)) return last.value;
    const value = make(job);
    last = { job, value };
    return value;
  };
}
