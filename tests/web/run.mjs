// Web test: Tessera's own player (/embed.js, the bot pages) in headless Chromium against a
// real Tessera server serving tests/web/flows. Each scenario (tests/web/scenarios/) opens pages
// on the Tessera origin or on a host site of its own (host.mjs, strict CSP), plays bots, checks
// what the widget shows, and takes screenshots compared with tests/web/reference/.
//
// Usage: node tests/web/run.mjs TESSERA_ORIGIN OUT_DIR [scenario...]
// Prints one line per check, then `OK n checks` (exit 0), or `FAIL scenario: reason` (exit 1).
// Every page fails the run on a page error, a CSP violation or a request from the player to a
// host other than Tessera.
import fs from 'node:fs';
import { chromium } from 'playwright-core';
import { Failure, watchRequests } from './lib.mjs';
import { startHost } from './host.mjs';
import pages from './scenarios/pages.mjs';
import embeds from './scenarios/embeds.mjs';
import seed from './scenarios/seed.mjs';
import inputs from './scenarios/inputs.mjs';
import xss from './scenarios/xss.mjs';
import a11y from './scenarios/a11y.mjs';
import size from './scenarios/size.mjs';
import actions from './scenarios/actions.mjs';
import media from './scenarios/media.mjs';
import stream from './scenarios/stream.mjs';
import files from './scenarios/files.mjs';

const [tessera, out = 'target/web-test', ...only] = process.argv.slice(2);
if (!tessera) { console.error('usage: node run.mjs TESSERA_ORIGIN OUT_DIR [scenario...]'); process.exit(2); }
const SCENARIOS = { pages, embeds, seed, inputs, files, actions, media, stream, xss, a11y, size };
const chromiumPath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
if (!fs.existsSync(chromiumPath)) { console.log(`FAIL setup: ${chromiumPath} is missing`); process.exit(1); }

const host = await startHost(tessera);
const browser = await chromium.launch({
  executablePath: chromiumPath, headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--font-render-hinting=none', '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost'],
});

let checks = 0;
const pagesOpen = [];
const t = {
  tessera, host: host.origin, browser, out,
  ok(what) { checks++; console.log(`ok ${checks} ${what}`); },
  /** A page in a fresh context; its errors, CSP violations and foreign requests fail the run. */
  async open(url, { width = 480, height = 800, bypassCSP = false } = {}) {
    const context = await browser.newContext({ viewport: { width, height }, bypassCSP, deviceScaleFactor: 1, reducedMotion: 'reduce' });
    const page = await context.newPage();
    const problems = [];
    page.on('pageerror', e => problems.push(`page error: ${e.message}`));
    page.on('console', m => { if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) problems.push(`console: ${m.text()}`); });
    await page.exposeBinding('__tesseraCsp', (_s, v) => problems.push(`CSP violation: ${v}`));
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', e => window.__tesseraCsp(`${e.violatedDirective} ${e.blockedURI}`), true);
    });
    page.problems = problems;
    page.foreign = watchRequests(page, tessera, host.origin);
    pagesOpen.push(page);
    await page.goto(url);
    return page;
  },
  /** Fails when a page had errors, CSP violations or foreign requests; closes it. */
  async done(page, { allowCsp = false } = {}) {
    const problems = page.problems.filter(p => !(allowCsp && p.startsWith('CSP violation')));
    if (problems.length) throw new Failure(problems.join('\n'));
    if (page.foreign.length) throw new Failure(`requests to other hosts: ${page.foreign.join(', ')}`);
    await page.context().close();
  },
};

let failed = null;
for (const [name, run] of Object.entries(SCENARIOS)) {
  if (only.length && !only.includes(name)) continue;
  try {
    await run(t);
  } catch (e) {
    failed = `FAIL ${name}: ${e instanceof Failure ? e.message : e.stack}`;
    for (const p of pagesOpen) await p.screenshot({ path: `${out}/failure-${name}.png` }).catch(() => {});
    break;
  }
}
await browser.close();
host.close();
console.log(failed ?? `OK ${checks} checks`);
process.exit(failed ? 1 : 0);
