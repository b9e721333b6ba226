// A named process group (mod_wsgi daemon mode) in one proxy process: its arbiter (the worker
// processes) and its dispatcher (slots, queue, requests) side by side, under the lifecycle every
// executor shares. In cluster mode the arbiter lives in the primary and each proxy process has only
// a dispatcher (remote-pool.ts); the two halves meet through ArbiterPort either way.
import type { Executor } from './executor.js';
import { ManagedExecutor } from './lifecycle.js';
import { Arbiter, type ArbiterOptions } from './pool/arbiter.js';
import { Dispatcher } from './pool/dispatcher.js';

export type ProcessGroupOptions = ArbiterOptions;

export function createProcessGroup(options: ProcessGroupOptions): Executor {
  const arbiter = new Arbiter(options);
  const dispatcher = new Dispatcher({ settings: options.settings, runtime: options.runtime, arbiter, log: options.log, ...(options.hooks ? { hooks: options.hooks } : {}) });
  const life: ManagedExecutor = new ManagedExecutor(() => ({
    async start() {
      dispatcher.open();
      await arbiter.start();
    },
    dispatch: (job, req, res) => dispatcher.dispatch(job, req, res),
    status(state) {
      const { processes, restarts, restartsByReason } = arbiter.status();
      return dispatcher.status(state, processes, { restarts, restartsByReason });
    },
    async drain() {
      await dispatcher.drain();
      await arbiter.drain();
    },
    async stop() {
      dispatcher.close();
      await arbiter.stop();
    },
  }));
  dispatcher.onStateChange = (state) => (state === 'ready' ? life.markReady() : life.markFailing());
  return life;
}
