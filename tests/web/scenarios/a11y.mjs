// Accessibility: axe-core (WCAG 2 A and AA rules) on the full page at 360 px, the inline
// embed with a choice shown, and the bubble opened, shadow roots included; then keyboard use:
// Tab reaches the input, Enter sends it.
import fs from 'node:fs';
import path from 'node:path';
import { answer, check, here, see } from '../lib.mjs';

const AXE = fs.readFileSync(path.join(here, 'node_modules/axe-core/axe.min.js'), 'utf8');

/** Runs axe-core (WCAG 2 A and AA) on the page, shadow roots included; fails on any violation. */
export async function axe(page, where) {
  await page.addScriptTag({ content: AXE });
  const result = await page.evaluate(() => window.axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] }));
  const v = result.violations.map(x => `${x.id} (${x.nodes.length}): ${x.nodes[0]?.target} ${x.help}`);
  check(!v.length, `${where}: axe reports ${v.join('; ')}`);
}

export default async function a11y(t) {
  let page = await t.open(`${t.tessera}/`, { width: 360, height: 740, bypassCSP: true });
  await axe(page, 'index page');
  t.ok('axe: no violation on the index page');
  await t.done(page);

  page = await t.open(`${t.tessera}/web-demo?First%20name=Kim`, { width: 360, height: 740, bypassCSP: true });
  await see(page, 'What should I call you?');
  await axe(page, 'full page (360 px)');
  await page.keyboard.press('Tab');
  await answer(page, 'Kim');
  await see(page, 'Your email?');
  const active = await page.evaluate(() => document.querySelector('tessera-chat').shadowRoot.activeElement?.getAttribute('type'));
  check(active === 'email', `focus moves to the next input (${active})`);
  t.ok('axe: no violation on the full page at 360 px; focus follows the conversation');
  await t.done(page);

  page = await t.open(`${t.host}/support.html`, { width: 360, height: 740, bypassCSP: true });
  await see(page, 'How can we help?');
  await axe(page, 'inline with choices');
  t.ok('axe: no violation on the inline embed with choices');
  await t.done(page);

  page = await t.open(`${t.host}/bubble.html`, { width: 360, height: 740, bypassCSP: true });
  await see(page, 'Need help?');
  await page.getByRole('button', { name: 'Open chat with Acme Support' }).click();
  await see(page, 'What should I call you?');
  await axe(page, 'bubble open');
  t.ok('axe: no violation on the opened bubble at 360 px');
  await t.done(page);
}
