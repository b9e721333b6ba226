// Module state lives per application group: each group counts on its own.
import { threadId } from 'node:worker_threads';

let served = 0;

export function application(req, res) {
  served += 1;
  const { processGroup, applicationGroup } = req.scriptAlias;
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ served, pid: process.pid, threadId, processGroup, applicationGroup }) + '\n');
}
