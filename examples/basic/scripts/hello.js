// Runs inline on the proxy's own main thread (%{GLOBAL} process and application group).
export function application(req, res) {
  res.setHeader('content-type', 'text/plain; charset=utf-8');
  res.end(`hello from ${req.baseUrl}, path ${req.url}, pid ${process.pid}\n`);
}
