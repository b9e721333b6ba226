// The ScriptJob: what a worker (thread or process, JS or Python) needs to run one request,
// carried in one request header (JOB_HEADER) on the worker's local HTTP socket. The proxy always
// sets it and strips any copy a client sent, so no request can choose its own script or group.

/** Wire form (JSON, then base64url in the header). Strings are runtime-ready: JS scripts get UTF-8
 *  decoded SCRIPT_NAME/PATH_INFO, Python scripts the PEP 3333 latin-1 form of the decoded bytes. */
export interface ScriptJob {
  readonly script: string;            // absolute path of the script file
  readonly callable: string;
  readonly scriptName: string;
  readonly pathInfo: string;
  /** PATH_INFO still %-encoded, plus ?query: what a JS script sees as req.url. */
  readonly url: string;
  readonly queryString: string;
  readonly processGroup: string;      // '' = %{GLOBAL}
  readonly applicationGroup: string;  // '' = %{GLOBAL}
  readonly multiprocess: boolean;
  readonly multithread: boolean;
  readonly runOnce: boolean;
  readonly passAuthorization: boolean;
  /** Check the script's mtime and reload it when it changed (scriptReloading). */
  readonly reloading: boolean;
  /** Proxy-side request id, for logs on both sides. */
  readonly reqId: string;
  /** Client address and server facts for the WSGI environ (REMOTE_ADDR, SERVER_NAME, SERVER_PORT). */
  readonly remoteAddr: string;
  readonly remotePort: number;
  readonly serverName: string;
  readonly serverPort: number;
  readonly urlScheme: 'http' | 'https';
}

export function encodeJob(job: ScriptJob): string {
  return Buffer.from(JSON.stringify(job), 'utf8').toString('base64url');
}

export function decodeJob(header: string): ScriptJob {
  return JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as ScriptJob;
}
