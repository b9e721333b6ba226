// %{GLOBAL} process group + %{GLOBAL} application group: the script's listener runs on the proxy's
// own main thread with the real req/res, no hop at all (DESIGN §5, row 1).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Executor, ExecutorStatus } from './executor.js';
import type { ScriptJob } from '../protocol/job.js';
import type { PreloadEntry } from '../protocol/messages.js';
import type { Logger } from '../log.js';
import { createScriptCache } from '../script/load-script.js';
import { runScript, type FailureSink, type RunCounters } from '../script/run-script.js';
import { GLOBAL_GROUP } from '../constants.js';

export interface InlineOptions {
  readonly log: Logger;
  readonly preload?: readonly PreloadEntry[];
}

export function createInlineExecutor(options: InlineOptions): Executor {
  const { log } = options;
  const cache = createScriptCache();
  const counters: RunCounters = { inFlight: 0, served: 0 };
  let state: ExecutorStatus['state'] = 'starting';
  const report: FailureSink = ({ code, reqId, script, err, status }) => {
    const line = { code, reqId, script, err };
    if (status >= 500) log.error(line, 'script failed'); else log.info(line, 'script refused');
  };
  return {
    async start() {
      for (const entry of options.preload ?? []) {
        try {
          await cache.preload(entry.script, entry.callable);
        } catch (err) {
          log.warn({ code: 'SA_WRN_PRELOAD_FAILED', script: entry.script, err }, 'preload failed; requests will retry the load');
        }
      }
      state = 'ready';
    },
    handle(job: ScriptJob, req: IncomingMessage, res: ServerResponse) {
      runScript(cache, job, req, res, report, counters);
    },
    status(): ExecutorStatus {
      return {
        kind: 'inline', processGroup: GLOBAL_GROUP, runtime: 'node', state, inFlight: counters.inFlight, queued: 0,
        served: counters.served, restarts: 0,
        processes: [{ pid: process.pid, slot: 0, state: state === 'ready' ? 'ready' : 'starting', inFlight: counters.inFlight,
          served: counters.served, rssBytes: process.memoryUsage.rss(), appGroups: [GLOBAL_GROUP] }],
      };
    },
    async close() { state = 'closed'; },
    async destroy() { state = 'closed'; },
  };
}
