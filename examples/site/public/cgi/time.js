// A script in a script directory (mod_wsgi's <Directory> SetHandler wsgi-script): it runs, and its
// source is never sent.
export function application(req, res) {
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ now: new Date().toISOString(), scriptName: req.baseUrl, pid: process.pid }) + '\n');
}
