// Script, event-handler and javascript: payloads through every path the player renders:
// prefilled variables (text, link URL), bot text (marks, links), image URL, alt and link,
// video and embed URLs, input labels and placeholders, choice items, the user's own answer, a
// redirect, the theme's colours, avatar and custom CSS, the page metadata. Nothing executes
// (window.__xss stays unset, no CSP violation of script-src) and the payloads show as text.
import { answer, check, see } from '../lib.mjs';

const PAYLOAD = '<img src=x onerror="window.__xss=1"><script>window.__xss=1</script>';

async function noScript(page, where) {
  const flag = await page.evaluate(() => window.__xss);
  check(flag === undefined, `${where}: a payload executed (window.__xss = ${flag})`);
  const scripts = page.problems.filter(p => p.includes('script-src'));
  check(!scripts.length, `${where}: CSP reports a blocked script: ${scripts.join(', ')}`);
  const injected = await page.evaluate(() => [...document.querySelectorAll('#chat, tessera-chat')]
    .some(h => h.shadowRoot?.querySelector('script, [onerror], [onload], a[href^="javascript"], img[src^="javascript"], iframe[src^="javascript"]')));
  check(!injected, `${where}: an injected element or javascript: URL is in the widget`);
}

export default async function xss(t) {
  let page = await t.open(`${t.host}/xss.html`, { height: 900 });
  await see(page, `Payload: ${PAYLOAD}`);
  await see(page, 'Type anything');
  await answer(page, '<svg onload="window.__xss=1"></svg><a href="javascript:window.__xss=1">x</a>');
  await see(page, 'You said <svg onload=');
  await page.locator('#chat .input-slot button.choice').first().click();
  await see(page, 'End ');
  await noScript(page, 'host page');
  t.ok('XSS: payloads in prefilled variables, bot fields, answers, choices, redirect and theme render as text, nothing executes');
  await t.done(page);

  // The same through the Markdown renderer (the server sends Markdown bubbles).
  page = await t.open(`${t.host}/xss-markdown.html`, { height: 900 });
  await see(page, 'Payload:');
  await see(page, 'Type anything');
  await answer(page, '[x](javascript:window.__xss=1) <img src=x onerror="window.__xss=1">');
  await see(page, 'You said');
  await page.locator('#chat .input-slot button.choice').first().click();
  await see(page, 'End ');
  const md = await page.evaluate(() => !!document.querySelector('#chat').shadowRoot.querySelector('.host-bubble strong'));
  check(md, 'Markdown bubbles are rendered (bold text)');
  await noScript(page, 'host page, Markdown');
  t.ok('XSS: the same payloads through Markdown bubbles execute nothing');
  await t.done(page);

  const q = new URLSearchParams({ Payload: '"><script>window.__xss=1</script>', Link: 'javascript:window.__xss=1' });
  page = await t.open(`${t.tessera}/xss?${q}`);
  await see(page, 'Payload: "><script>window.__xss=1</script>');
  check((await page.title()).includes('<script>'), 'the metadata title is shown as text');
  await noScript(page, 'bot page');
  t.ok('XSS: the full page with payloads in its URL and metadata executes nothing');
  await t.done(page);
}
