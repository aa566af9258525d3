// Helpers of the web test: what a widget shows (its shadow root's text), waiting for it,
// screenshots compared with committed references (pixel tolerance for anti-aliasing), and the
// check that the player asks nothing from other hosts.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const here = path.dirname(fileURLToPath(import.meta.url));
export const sleep = ms => new Promise(r => setTimeout(r, ms));
const norm = s => s.replace(/\s+/g, ' ').trim();

export class Failure extends Error {}
export function check(ok, what) {
  if (!ok) throw new Failure(what);
}

/** The text shown inside every Tessera shadow root of the page (or of `host`). */
export async function shown(page, selector) {
  return norm(await page.evaluate(sel => {
    const hosts = sel ? [...document.querySelectorAll(sel)] : [...document.querySelectorAll('tessera-chat, [data-tessera]')];
    // innerText of the shadow root's elements: what is rendered (hidden parts excluded).
    return hosts.map(h => [...(h.shadowRoot?.children || [])].map(e => e.innerText).join(' ')).join(' | ');
  }, selector ?? null));
}

/** Waits until `text` is shown (in `selector`'s shadow roots); fails after `timeout` ms. */
export async function see(page, text, { selector, timeout = 8000 } = {}) {
  const until = Date.now() + timeout;
  let last = '';
  while (Date.now() < until) {
    last = await shown(page, selector);
    if (last.includes(text)) return last;
    await sleep(100);
  }
  throw new Failure(`"${text}" is not shown; the widget shows: ${last.slice(-600)}`);
}

/** Types into the current input of the widget and presses Enter. */
export async function answer(page, value, scope = page) {
  const field = scope.locator('.input-slot input:not([type=search]), .input-slot textarea').last();
  await field.waitFor({ timeout: 8000 });
  await field.fill(value);
  await field.press('Enter');
}

/** Clicks the button with exactly this accessible name (shadow roots included). */
export async function click(scope, name) {
  await scope.getByRole('button', { name, exact: true }).last().click({ timeout: 8000 });
}

/**
 * Saves `page`'s screenshot under target/web-test/NAME.png and compares it with
 * tests/web/reference/NAME.png: same size, at most 1.5 % of pixels differing by more than 48
 * on some channel. A missing reference is created (commit it); WEB_TEST_UPDATE=1 rewrites them.
 */
export async function screenshot(page, name, outDir, browser) {
  await page.evaluate(() => document.activeElement?.blur?.());
  await sleep(150);
  const png = await page.screenshot({ animations: 'disabled', caret: 'hide' });
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, `${name}.png`), png);
  const ref = path.join(here, 'reference', `${name}.png`);
  if (!fs.existsSync(ref) || process.env.WEB_TEST_UPDATE === '1') {
    fs.mkdirSync(path.dirname(ref), { recursive: true });
    fs.writeFileSync(ref, png);
    return `reference ${name}.png written`;
  }
  const diff = await compare(browser, fs.readFileSync(ref), png);
  check(diff.sameSize, `${name}.png: size ${diff.size} differs from the reference ${diff.refSize}`);
  check(diff.ratio <= 0.015, `${name}.png differs from the reference: ${(diff.ratio * 100).toFixed(2)} % of pixels (see ${outDir}/${name}.png)`);
  return `${name}.png matches its reference (${(diff.ratio * 100).toFixed(2)} % of pixels differ)`;
}

/** Pixel comparison in a blank page: decodes both PNGs and counts differing pixels. */
async function compare(browser, a, b) {
  const page = await browser.newPage();
  try {
    return await page.evaluate(async ([ua, ub]) => {
      const load = async u => { const i = new Image(); i.src = u; await i.decode(); return i; };
      const [x, y] = await Promise.all([load(ua), load(ub)]);
      const size = `${y.width}x${y.height}`, refSize = `${x.width}x${x.height}`;
      if (size !== refSize) return { sameSize: false, size, refSize };
      const data = img => {
        const c = document.createElement('canvas'); c.width = img.width; c.height = img.height;
        const g = c.getContext('2d'); g.drawImage(img, 0, 0);
        return g.getImageData(0, 0, img.width, img.height).data;
      };
      const [dx, dy] = [data(x), data(y)];
      let bad = 0;
      for (let i = 0; i < dx.length; i += 4) {
        if (Math.abs(dx[i] - dy[i]) > 48 || Math.abs(dx[i + 1] - dy[i + 1]) > 48 || Math.abs(dx[i + 2] - dy[i + 2]) > 48) bad++;
      }
      return { sameSize: true, size, refSize, ratio: bad / (dx.length / 4) };
    }, [`data:image/png;base64,${a.toString('base64')}`, `data:image/png;base64,${b.toString('base64')}`]);
  } finally {
    await page.close();
  }
}

/** Records the requests of a page: the player may only ask Tessera (and the host page itself). */
export function watchRequests(page, tessera, host) {
  const bad = [];
  page.on('request', r => {
    const u = new URL(r.url());
    const kind = r.resourceType();
    if (u.protocol === 'data:' || u.protocol === 'blob:') return;
    const origin = u.origin;
    const own = origin === tessera || origin === host;
    // Bot content (images, media, frames the bot author put in the bot) may come from anywhere.
    if (!own && !['image', 'media', 'document'].includes(kind)) bad.push(`${kind} ${r.url()}`);
  });
  return bad;
}
