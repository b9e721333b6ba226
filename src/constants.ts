// Named constants for mod_wsgi's group tokens and the protocol header: no literal group strings
// elsewhere in the code.

/** `%{GLOBAL}`: the empty group name. Process group: the proxy itself; application group: the main realm. */
export const GLOBAL_TOKEN = '%{GLOBAL}';
/** `%{RESOURCE}`: `host[:port]|script-name` (lower-cased), the default application group. */
export const RESOURCE_TOKEN = '%{RESOURCE}';
/** `%{SERVER}`: `host[:port]`. */
export const SERVER_TOKEN = '%{SERVER}';
/** `%{ENV:NAME}` prefix; resolved from the environment when the config loads. */
export const ENV_TOKEN_PREFIX = '%{ENV:';

/** The resolved name of the global group (process or application): the empty string, as in mod_wsgi. */
export const GLOBAL_GROUP = '';

/** Request header carrying the ScriptJob from the proxy to a worker; the proxy strips any client copy. */
export const JOB_HEADER = 'x-scriptalias-job';

/** Default callable name (mod_wsgi's WSGICallableObject default). */
export const DEFAULT_CALLABLE = 'application';

