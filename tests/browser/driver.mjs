#!/usr/bin/env node
// Drives one headless Chromium page running peer.html (livekit-client) for lkdesk's tests.
//
// Protocol: JSON lines. stdin  {"id": 1, "cmd": "join", "args": {...}}
//                       stdout {"id": 1, "ok": true, "result": ...} | {"id": 1, "ok": false, "error": "..."}
// Before any command it prints {"id": 0, "ok": true, "event": "ready", "result": {...}}.
// Browser console lines and driver diagnostics go to stderr. Exits on stdin EOF or "quit".
//
// Environment:
//   LKDESK_CHROMIUM          browser binary (default /usr/bin/chromium); never downloaded
//   LKDESK_BROWSER_PROFILE   user-data-dir to use (created if absent, removed at exit);
//                            default: a fresh temp dir
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

process.env.PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD = '1';
process.env.PLAYWRIGHT_BROWSERS_PATH = '0';

const here = path.dirname(fileURLToPath(import.meta.url));
const { chromium } = await import('playwright-core');

const CHROMIUM = process.env.LKDESK_CHROMIUM || '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  '--disable-features=WebRtcHideLocalIpsWithMdns',
  '--autoplay-policy=no-user-gesture-required',
];

function log(...parts) {
  process.stderr.write(`[driver] ${parts.join(' ')}\n`);
}

function reply(obj) {
  process.stdout.write(`${JSON.stringify(obj)}\n`);
}

// --- static file server for this directory, loopback only ------------------------------------
const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.map': 'application/json',
  '.json': 'application/json',
};

function startServer() {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    const rel = path.normalize(decodeURIComponent(url.pathname)).replace(/^\/+/, '');
    const file = path.join(here, rel || 'peer.html');
    if (!file.startsWith(here + path.sep) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, {
      'content-type': MIME[path.extname(file)] || 'application/octet-stream',
      'cache-control': 'no-store',
    });
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

// --- browser ------------------------------------------------------------------------------------
let profileDir = process.env.LKDESK_BROWSER_PROFILE;
if (profileDir) fs.mkdirSync(profileDir, { recursive: true });
else profileDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lkdesk-chromium-'));

let context = null;
let server = null;
let closing = null;

function removeProfile() {
  try {
    fs.rmSync(profileDir, { recursive: true, force: true });
  } catch (e) {
    log('could not remove profile dir', profileDir, String(e));
  }
}

async function shutdown(code) {
  if (closing) return closing;
  closing = (async () => {
    const timer = setTimeout(() => {
      log('browser close timed out; exiting anyway');
      removeProfile();
      process.exit(code || 1);
    }, 10_000);
    try {
      if (context) {
        const page = context.pages()[0];
        if (page) {
          await page
            .evaluate(() => window.lkPeer?.leave())
            .catch((e) => log('leave on shutdown failed:', String(e)));
        }
        await context.close();
      }
    } catch (e) {
      log('error closing browser:', String(e));
    }
    if (server) server.close();
    clearTimeout(timer);
    removeProfile();
    process.exit(code);
  })();
  return closing;
}

process.on('SIGTERM', () => shutdown(0));
process.on('SIGINT', () => shutdown(0));
process.on('exit', removeProfile);

async function main() {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`chromium not found at ${CHROMIUM}`);
  server = await startServer();
  const { port } = server.address();
  const pageUrl = `http://127.0.0.1:${port}/peer.html`;

  context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    // playwright adds --mute-audio in headless mode; keep it: the analyser sits before output
    viewport: { width: 1280, height: 720 },
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('console', (msg) => {
    process.stderr.write(`[browser:${msg.type()}] ${msg.text()}\n`);
  });
  page.on('pageerror', (err) => process.stderr.write(`[browser:pageerror] ${err.stack || err}\n`));
  page.on('crash', () => log('page crashed'));
  context.on('close', () => {
    if (!closing) {
      log('browser closed unexpectedly');
      shutdown(1);
    }
  });

  await page.goto(pageUrl);
  await page.waitForFunction(() => window.lkPeerReady === true, null, { timeout: 30_000 });
  const version = await page.evaluate(() => window.lkPeer.version);
  const browserVersion = context.browser()?.version() ?? null;
  log(`ready: livekit-client ${version}, page ${pageUrl}, profile ${profileDir}`);
  reply({
    id: 0,
    ok: true,
    event: 'ready',
    result: { sdkVersion: version, browserVersion, pageUrl, profileDir, pid: process.pid },
  });

  const commands = {
    join: (a) => page.evaluate(([u, t, o]) => window.lkPeer.join(u, t, o), [a.url, a.token, a.options ?? {}]),
    republishCamera: (a) => page.evaluate((o) => window.lkPeer.republishCamera(o), a.options ?? {}),
    sendChat: (a) => page.evaluate(([t, o]) => window.lkPeer.sendChat(t, o), [a.text, a.options ?? {}]),
    sendTranscription: (a) =>
      page.evaluate(([p, at]) => window.lkPeer.sendTranscription(p, at), [a.pieces, a.attributes ?? {}]),
    getState: () => page.evaluate(() => window.lkPeer.getState()),
    leave: () => page.evaluate(() => window.lkPeer.leave()),
    watchText: (a) => page.evaluate((t) => window.lkPeer.watchText(t), a.topic),
    receivedTexts: (a) => page.evaluate((t) => window.lkPeer.receivedTexts(t), a.topic),
    sendText: (a) => page.evaluate(([t, o]) => window.lkPeer.sendText(t, o), [a.text, a.options ?? {}]),
    registerDigestRpc: () => page.evaluate(() => window.lkPeer.registerDigestRpc()),
    performRpc: (a) =>
      page.evaluate(
        ([d, m, p, t]) => window.lkPeer.performRpc(d, m, p, t),
        [a.destination, a.method, a.payload, a.responseTimeout ?? 30000],
      ),
    remoteFeatures: () => page.evaluate(() => window.lkPeer.remoteFeatures()),
    eval: (a) => page.evaluate(a.expression),
    ping: () => 'pong',
  };

  const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  // commands run one at a time, in order
  let chain = Promise.resolve();
  rl.on('line', (line) => {
    if (!line.trim()) return;
    chain = chain.then(async () => {
      let msg;
      try {
        msg = JSON.parse(line);
      } catch (e) {
        reply({ id: null, ok: false, error: `bad JSON: ${e.message}` });
        return;
      }
      const { id = null, cmd, args = {} } = msg;
      if (cmd === 'quit') {
        reply({ id, ok: true, result: null });
        await shutdown(0);
        return;
      }
      const fn = commands[cmd];
      if (!fn) {
        reply({ id, ok: false, error: `unknown command ${cmd}` });
        return;
      }
      try {
        const result = await fn(args);
        reply({ id, ok: true, result: result ?? null });
      } catch (e) {
        reply({ id, ok: false, error: String(e?.message ?? e) });
      }
    });
  });
  rl.on('close', () => {
    chain.then(() => shutdown(0));
  });
}

main().catch((e) => {
  log('fatal:', e?.stack ?? String(e));
  reply({ id: 0, ok: false, event: 'ready', error: String(e?.message ?? e) });
  shutdown(1);
});
