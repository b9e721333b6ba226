// An unmodified Express app: it listens only when run directly, as Express's own examples do.
// Mounted at /express it sees req.url relative to the mount (PATH_INFO).
const express = require('express');

const app = express();
app.get('/', (req, res) => res.json({ hello: 'express', pid: process.pid }));
app.get('/users/:id', (req, res) => res.json({ user: req.params.id, baseUrl: req.baseUrl, originalUrl: req.originalUrl }));

if (!module.parent) app.listen(3000);

module.exports = app;
