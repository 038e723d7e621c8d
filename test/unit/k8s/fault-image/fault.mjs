// Test fixture only (never in src/api): runs the real service (server.mjs) on PORT+1 and
// answers on PORT as a proxy to it, injecting one fault chosen by FAULT:
//   never-ready   GET /ready always 503 (the rollout must hit its progress deadline)
//   predict-500   POST /predict always 500 (ready and healthy, so only the health check notices)
import { spawn } from 'node:child_process';
import http from 'node:http';

const fault = process.env.FAULT ?? '';
const port = Number(process.env.PORT ?? 8080);
const inner = port + 1;
const child = spawn(process.execPath, ['server.mjs'], { env: { ...process.env, PORT: String(inner), HOST: '127.0.0.1' }, stdio: 'inherit' });
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));

const server = http.createServer((req, res) => {
  const path = (req.url ?? '/').split('?')[0];
  if (fault === 'never-ready' && path === '/ready') {
    req.resume();
    res.writeHead(503, { 'content-type': 'application/json' });
    return res.end(JSON.stringify({ ready: false, fault }));
  }
  if (fault === 'predict-500' && path.startsWith('/predict')) {
    req.resume();
    res.writeHead(500, { 'content-type': 'application/json' });
    return res.end(JSON.stringify({ error: 'injected fault', fault }));
  }
  const upstream = http.request({ host: '127.0.0.1', port: inner, path: req.url, method: req.method, headers: req.headers }, (answer) => {
    res.writeHead(answer.statusCode ?? 502, answer.headers);
    answer.pipe(res);
  });
  upstream.on('error', (error) => {
    res.writeHead(502, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: error.message }));
  });
  req.pipe(upstream);
});
server.listen(port, '0.0.0.0');
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    server.close();
    child.kill(signal);
  });
}
