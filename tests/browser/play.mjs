// Browser test harness: drives the published @typebot.io/js web player (installed from the npm
// registry into tests/browser/node_modules by `npm ci`, never vendored) in headless Chromium
// against a Tessera server, and plays a scripted conversation.
//
// Usage: node tests/browser/play.mjs API_HOST PUBLIC_ID STEPS.json OUT.png [PREFILLED_VARIABLES_JSON]
//
// STEPS.json is a list of steps; each may carry "timeout" (ms, default 8000):
//   {"see": "text"}            the text is shown: visible and fully faded in (the player renders a
//                              bubble's text at opacity 0 while it "types"); once the player has
//                              redirected the page, the text was shown when the chat page was left
//   {"absent": "text"}         after "wait" ms (default 500), the text is not shown
//   {"type": "answer"}         type into the current text/email/... input and press Enter
//   {"click": "label"}         click the button, or the rating option, whose label is exactly that
//   {"preflight": "startChat"} the browser sent a CORS preflight (OPTIONS) for an API URL containing
//                              that text, and the server itself answered it 2xx with headers that
//                              allow this page's origin, POST and every requested header
//   {"upload": {"name", "type", "content"}}  pick a file of that content in the file input
//   {"executeWebhook": {"blockId", "body"}}  POST the body to executeWebhook for this chat's
//                              result (bearer PLAYER_API_TOKEN); PLAYER_WS_HOST sets wsHost
//   {"url": "https://...", "shownBefore": "text"}
//                              the player sent the page to exactly that URL (a redirect); with
//                              "shownBefore", that text was shown when the chat page was left
//
// Whatever the steps, every request the browser makes to API_HOST must succeed: no 4xx/5xx, no
// network or CORS error, an access-control-allow-origin header on every response.
//
// Prints one line per step, then `OK n/n steps` (exit 0); or the player's console, the API calls
// and `FAIL step k/n ...` (exit 1). OUT.png shows the chat as of the last step done on it (or
// at the failure), or as it was when a redirect left it; OUT.after-redirect.png, when there was
// a redirect, the page it led to.
//
// Redirects: there is no network beyond loopback, so navigations to the origins named in "url"
// steps are answered locally with a small page (other requests there get a 404). They are
// intercepted with a CDP session's Fetch domain limited to those origins, not with playwright's
// page.route(): while any route is installed, playwright answers every CORS preflight itself
// (204, permissive headers), which would hide the server's own preflight answers that this test
// is meant to check.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const [apiHostArg, publicId, stepsPath, shot = '/tmp/player.png', prefilled = '{}'] = process.argv.slice(2);
if (!apiHostArg || !publicId || !stepsPath) {
  console.error('usage: node play.mjs API_HOST PUBLIC_ID STEPS.json OUT.png [PREFILLED_VARIABLES_JSON]');
  process.exit(2);
}
const apiHost = apiHostArg.replace(/\/+$/, '');
const steps = JSON.parse(fs.readFileSync(stepsPath, 'utf8'));
JSON.parse(prefilled); // a malformed argument fails here, not inside the page
const chromiumPath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const webJs = path.join(here, 'node_modules/@typebot.io/js/dist/web.js');
for (const f of [chromiumPath, webJs]) {
  if (!fs.existsSync(f)) { console.log(`FAIL setup: ${f} is missing`); process.exit(1); }
}
// PLAYER_WS_HOST: the player's wsHost (the wait-for-webhook room); PLAYER_API_TOKEN: the token
// of "executeWebhook" steps.
const wsHost = process.env.PLAYER_WS_HOST || '';
const sleep = ms => new Promise(r => setTimeout(r, ms));
const afterShot = shot.replace(/(\.png)?$/, '.after-redirect.png');
const REDIRECT_PAGE_TEXT = 'Redirect target (answered by the browser test)';

// The page embedding the player, on its own loopback origin: every API call is a real
// cross-origin request, preflight included.
const pageHtml = `<!doctype html><html><head><meta charset="utf-8"><title>Tessera browser test</title></head>
<body style="margin:0">
<typebot-standard style="width:100%;height:100vh"></typebot-standard>
<script type="module">
import Typebot from '/web.js';
Typebot.initStandard({ typebot: ${JSON.stringify(publicId)}, apiHost: ${JSON.stringify(apiHost)}, ${wsHost ? `wsHost: ${JSON.stringify(wsHost)}, ` : ''}prefilledVariables: ${prefilled} });
</script></body></html>`;
const pageServer = http.createServer((req, res) => {
  if (req.url === '/web.js') {
    res.writeHead(200, { 'content-type': 'text/javascript' });
    fs.createReadStream(webJs).pipe(res);
  } else if (req.url === '/') {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(pageHtml);
  } else if (req.url === '/favicon.ico') {
    res.writeHead(204); res.end();
  } else {
    res.writeHead(404); res.end();
  }
}).listen(0, '127.0.0.1');
await new Promise(r => pageServer.once('listening', r));
const pageOrigin = `http://127.0.0.1:${pageServer.address().port}`;
const chatUrl = pageOrigin + '/';

const browser = await chromium.launch({
  executablePath: chromiumPath,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    // No lookups beyond loopback (the player asks a font CDN for its default font; it falls back).
    '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost'],
});
const page = await browser.newPage({ viewport: { width: 480, height: 860 } });
const consoleLines = [];
page.on('console', m => consoleLines.push(`[console.${m.type()}] ${m.text()}`));
page.on('pageerror', e => consoleLines.push(`[pageerror] ${e.message}`));
page.on('requestfailed', r => consoleLines.push(`[requestfailed] ${r.method()} ${r.url()}: ${r.failure()?.errorText}`));
let resultId = null;
page.on('response', r => {
  if (r.url().includes('/startChat') && r.request().method() === 'POST')
    r.json().then(j => { resultId ??= j.resultId ?? null; }, () => {});
});
page.on('response', r => { if (r.status() >= 400) consoleLines.push(`[response ${r.status()}] ${r.request().method()} ${r.url()}`); });

// What the page shows, as one string: the text of every rendered element (shadow roots
// included) that is neither hidden nor transparent. An element being faded in counts at the
// opacity it is fading to: the player reveals a bubble's text by a 0.4 s opacity transition and
// may redirect before that transition ends. Runs in the page.
function shownText() {
  const opacity = new Map();
  const effective = el => {
    if (!el) return 1;
    if (opacity.has(el)) return opacity.get(el);
    const st = getComputedStyle(el);
    let own = Number(st.opacity);
    for (const a of el.getAnimations?.() ?? []) {
      const frames = a.effect?.getKeyframes?.() ?? [];
      const end = frames.length ? frames[frames.length - 1].opacity : undefined;
      if (end !== undefined && a.playState !== 'finished') own = Number(end);
    }
    const parent = el.parentElement ?? el.getRootNode()?.host ?? null;
    const v = (st.visibility === 'hidden' ? 0 : own) * effective(parent);
    opacity.set(el, v);
    return v;
  };
  let out = '', lastBlock = null;
  const walk = node => {
    for (let n = node.firstChild; n; n = n.nextSibling) {
      if (n.nodeType === Node.TEXT_NODE) {
        const el = n.parentElement;
        if (!el || !n.textContent.trim() || ['SCRIPT', 'STYLE'].includes(el.tagName)) continue;
        if (!el.getClientRects().length || effective(el) < 0.9) continue;
        let block = el;
        while (block.parentElement && getComputedStyle(block).display.startsWith('inline')) block = block.parentElement;
        out += (block !== lastBlock ? '\n' : '') + n.textContent;
        lastBlock = block;
      } else if (n.nodeType === Node.ELEMENT_NODE) {
        if (n.shadowRoot) walk(n.shadowRoot);
        walk(n);
      }
    }
  };
  walk(document.body ?? document.documentElement);
  return out;
}
const norm = s => s.replace(/\s+/g, ' ').trim();
const normLines = s => s.split('\n').map(norm).filter(Boolean).join('\n');

// When the chat page is left (the player's redirect), record what it showed at that moment.
let leftChat = null; // {shown: string}
await page.exposeBinding('__tesseraLeaving', (_src, shown) => { leftChat ??= { shown: normLines(shown) }; });
await page.addInitScript(`(() => {
  const shownText = ${shownText.toString()};
  if (location.href === ${JSON.stringify(chatUrl)})
    addEventListener('beforeunload', () => { try { window.__tesseraLeaving(shownText()); } catch {} });
})()`);

// Network observation (CDP): every API request and preflight, its status and CORS headers.
const cdp = await page.context().newCDPSession(page);
await cdp.send('Network.enable');
const calls = new Map(); // requestId -> {method, url, preflight, reqHeaders, status, headers, error, cors}
const lower = h => Object.fromEntries(Object.entries(h || {}).map(([k, v]) => [k.toLowerCase(), String(v)]));
cdp.on('Network.requestWillBeSent', e => {
  if (!e.request.url.startsWith(apiHost + '/')) return;
  calls.set(e.requestId, {
    method: e.request.method, url: e.request.url,
    preflight: e.initiator?.type === 'preflight' || e.request.method === 'OPTIONS',
    reqHeaders: lower(e.request.headers), status: null, headers: {}, error: null, cors: null,
  });
});
cdp.on('Network.responseReceived', e => {
  const c = calls.get(e.requestId);
  if (c) { c.status = e.response.status; c.headers = { ...c.headers, ...lower(e.response.headers) }; }
});
cdp.on('Network.responseReceivedExtraInfo', e => {
  const c = calls.get(e.requestId);
  if (c) c.headers = { ...lower(e.headers), ...c.headers };
});
cdp.on('Network.loadingFailed', e => {
  const c = calls.get(e.requestId);
  if (!c) return;
  c.error = e.errorText;
  if (e.corsErrorStatus) c.cors = e.corsErrorStatus.corsError + (e.corsErrorStatus.failedParameter ? ` (${e.corsErrorStatus.failedParameter})` : '');
});
const describeCall = c => `${c.preflight ? 'preflight ' : ''}${c.method} ${c.url.slice(apiHost.length)} -> ${c.status ?? '(no response)'}` +
  (c.headers['access-control-allow-origin'] ? ` acao=${c.headers['access-control-allow-origin']}` : ' (no access-control-allow-origin)') +
  (c.error ? ` error=${c.error}` : '') + (c.cors ? ` cors=${c.cors}` : '');

// Redirect targets: the navigation is held for a moment, as a real network would, while the
// chat as it was left is captured into OUT.png, then answered with a small local page.
const redirectOrigins = [...new Set(steps.filter(s => s.url).map(s => new URL(s.url).origin))];
const redirects = []; // URLs the page was sent to
let chatShotFinal = false; // OUT.png holds the chat as it was when the page left it
if (redirectOrigins.length) {
  await cdp.send('Fetch.enable', { patterns: redirectOrigins.map(o => ({ urlPattern: `${o}/*`, requestStage: 'Request' })) });
  cdp.on('Fetch.requestPaused', async e => {
    if (e.resourceType !== 'Document') {
      await cdp.send('Fetch.fulfillRequest', { requestId: e.requestId, responseCode: 404, body: '' }).catch(() => {});
      return;
    }
    redirects.push(e.request.url);
    if (!chatShotFinal) {
      chatShotFinal = true;
      await sleep(700);
      const img = await Promise.race([cdp.send('Page.captureScreenshot', { format: 'png' }).catch(() => null), sleep(3000)]);
      if (img?.data) fs.writeFileSync(shot, Buffer.from(img.data, 'base64'));
    }
    const body = `<!doctype html><html><head><meta charset="utf-8"><title>Redirect target</title></head><body>` +
      `<h1>${REDIRECT_PAGE_TEXT}</h1><p>${e.request.url.replace(/[<&>]/g, '')}</p></body></html>`;
    await cdp.send('Fetch.fulfillRequest', {
      requestId: e.requestId, responseCode: 200,
      responseHeaders: [{ name: 'content-type', value: 'text/html; charset=utf-8' }],
      body: Buffer.from(body).toString('base64'),
    }).catch(() => {});
  });
}

const onChat = () => page.url() === chatUrl && !leftChat && !chatShotFinal;
const pageText = async () => normLines(await page.evaluate(shownText));
const waitUntil = async (cond, t, what) => {
  const end = Date.now() + t;
  for (;;) {
    const r = await cond().catch(() => null); // a navigation may destroy the context mid-check
    if (r) return r;
    if (Date.now() > end) throw new Error(`timed out after ${t} ms waiting for ${typeof what === 'function' ? await what() : what}`);
    await sleep(100);
  }
};
const textInput = () => page.locator(
  'typebot-standard input:not([type=radio]):not([type=checkbox]):not([type=hidden]), typebot-standard textarea').last();
const exactLabel = t => new RegExp(`^\\s*${t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`);
const describe = s => Object.entries(s).filter(([k]) => !['timeout', 'wait'].includes(k)).map(([k, v]) => `${k} ${JSON.stringify(v)}`).join(', ');
const lastLines = async () => {
  const t = leftChat ? leftChat.shown : await pageText().catch(() => '(page not readable)');
  return JSON.stringify(t.split('\n').slice(-4).join(' | '));
};

let failed = null, done = 0;
try {
  await page.goto(chatUrl);
  for (const step of steps) {
    const t = step.timeout ?? 8000;
    let note = '';
    if (step.see !== undefined) {
      const want = norm(step.see);
      const how = await waitUntil(async () => {
        if (leftChat && leftChat.shown.includes(want) && page.url() !== chatUrl) return 'shown when the chat page was left';
        return (await pageText()).includes(want) ? 'shown' : null;
      }, t, async () => `${JSON.stringify(step.see)} to be shown; the page ends with ${await lastLines()}`);
      if (how !== 'shown') note = ` (${how})`;
    } else if (step.absent !== undefined) {
      await sleep(step.wait ?? 500);
      const shown = leftChat && page.url() !== chatUrl ? leftChat.shown : await pageText();
      if (shown.includes(norm(step.absent))) throw new Error(`unexpected text shown: ${JSON.stringify(step.absent)}`);
    } else if (step.type !== undefined) {
      const input = textInput();
      await input.waitFor({ state: 'visible', timeout: t });
      await input.fill(String(step.type), { timeout: t });
      await input.press('Enter', { timeout: t });
    } else if (step.click !== undefined) {
      // Choice inputs render <button>s; rating inputs render <label><input type=radio>N</label>.
      const target = page.getByRole('button', { name: step.click, exact: true })
        .or(page.locator('typebot-standard label').filter({ has: page.locator('input[type=radio]'), hasText: exactLabel(step.click) }));
      await target.last().click({ timeout: t });
    } else if (step.upload !== undefined) {
      // {"upload": {"name", "type", "content"}}: pick a file in the file input.
      const picker = page.locator('typebot-standard input[type=file]').last();
      await picker.setInputFiles({ name: step.upload.name, mimeType: step.upload.type,
        buffer: Buffer.from(step.upload.content) }, { timeout: t });
    } else if (step.executeWebhook !== undefined) {
      // {"executeWebhook": {"blockId", "body"}}: what the bot owner's system would call.
      const rid = await waitUntil(async () => resultId, t, 'the resultId of startChat');
      const url = `${apiHost}/api/v1/typebots/${publicId}/blocks/${step.executeWebhook.blockId}/results/${rid}/executeWebhook`;
      const r = await fetch(url, { method: 'POST', body: JSON.stringify(step.executeWebhook.body),
        headers: { 'content-type': 'application/json', authorization: `Bearer ${process.env.PLAYER_API_TOKEN ?? ''}` } });
      if (!r.ok) throw new Error(`executeWebhook answered ${r.status}: ${await r.text()}`);
      note = ` (${r.status})`;
    } else if (step.preflight !== undefined) {
      const pf = await waitUntil(async () => [...calls.values()].find(c => c.preflight && c.url.includes(step.preflight) && (c.status !== null || c.error)),
        t, `a CORS preflight for an API URL containing ${JSON.stringify(step.preflight)}`);
      const h = pf.headers, problems = [];
      if (pf.error || pf.status < 200 || pf.status > 299) problems.push(`status ${pf.status}${pf.error ? ` ${pf.error}` : ''}${pf.cors ? ` cors=${pf.cors}` : ''}`);
      if (!['*', pageOrigin].includes(h['access-control-allow-origin'])) problems.push(`access-control-allow-origin=${h['access-control-allow-origin']}`);
      const methods = (h['access-control-allow-methods'] ?? '').toUpperCase();
      if (!/\bPOST\b|\*/.test(methods)) problems.push(`access-control-allow-methods=${h['access-control-allow-methods']}`);
      const allowed = (h['access-control-allow-headers'] ?? '').toLowerCase().split(',').map(s => s.trim());
      const asked = (pf.reqHeaders['access-control-request-headers'] ?? '').toLowerCase().split(',').map(s => s.trim()).filter(Boolean);
      for (const a of asked) if (!allowed.includes(a) && !allowed.includes('*')) problems.push(`requested header ${a} not in access-control-allow-headers=${h['access-control-allow-headers']}`);
      if (problems.length) throw new Error(`preflight ${pf.url}: ${problems.join('; ')}`);
      note = ` (${pf.status}, asked for ${asked.join(', ') || 'no headers'})`;
    } else if (step.url !== undefined) {
      await waitUntil(async () => redirects.includes(step.url), t,
        () => `a redirect to ${step.url}; redirects seen: ${JSON.stringify(redirects)}; page at ${page.url()}`);
      await page.waitForURL(step.url, { timeout: t });
      if (page.url() !== step.url) throw new Error(`page URL is ${page.url()}, expected ${step.url}`);
      await page.getByText(REDIRECT_PAGE_TEXT).waitFor({ timeout: t });
      if (step.shownBefore !== undefined && !leftChat?.shown.includes(norm(step.shownBefore)))
        throw new Error(`the chat page was left before ${JSON.stringify(step.shownBefore)} was shown; it showed ${JSON.stringify(leftChat?.shown.split('\n').slice(-3).join(' | '))}`);
      await page.screenshot({ path: afterShot });
    } else {
      throw new Error(`unknown step ${JSON.stringify(step)}`);
    }
    done++;
    if (onChat()) await page.screenshot({ path: shot }).catch(() => {});
    console.log(`  ok ${done}/${steps.length} ${describe(step)}${note}`);
  }
  await sleep(300); // let in-flight API calls land before judging them
  const bad = [...calls.values()].filter(c => c.error || c.cors || (c.status !== null && (c.status >= 400 || !c.headers['access-control-allow-origin'])));
  if (bad.length) failed = `API: ${bad.length} request(s) failed: ${bad.map(describeCall).join(' | ')}`;
} catch (e) {
  failed = `step ${done + 1}/${steps.length} ${describe(steps[done] ?? {})}: ${e.message.split('\n')[0]}`;
  if (onChat()) await page.screenshot({ path: shot }).catch(() => {});
}
const apiLines = [...calls.values()].map(c => `  ${describeCall(c)}`);
await browser.close();
pageServer.close();
if (failed) {
  console.log('--- player console (last 40 lines) ---');
  console.log(consoleLines.slice(-40).join('\n') || '(empty)');
  console.log('--- API calls from the browser ---');
  console.log(apiLines.join('\n') || '(none)');
  console.log(`screenshot: ${shot}`);
  console.log(`FAIL ${failed}`);
  process.exit(1);
}
const nPre = [...calls.values()].filter(c => c.preflight).length;
console.log(`API: ${calls.size - nPre} request(s) and ${nPre} preflight(s), all answered with CORS headers, none failed`);
console.log(`screenshots: ${shot}${redirects.length ? ` ${afterShot}` : ''}`);
console.log(`OK ${done}/${steps.length} steps`);
