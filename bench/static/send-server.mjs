// The reference for static files: a bare Node server that answers every request with `send` for one
// folder, nothing else. usage: node send-server.mjs PORT ROOT
import http from 'node:http';
import send from 'send';

const [port, root] = process.argv.slice(2);
http.createServer((req, res) => send(req, req.url.split('?')[0], { root }).pipe(res)).listen(Number(port), '127.0.0.1');
