// The three embeds of /embed.js on a host site with a strict CSP: inline (in a container,
// variables prefilled from the script tag), popup (opened by the API from a button, closed
// with Escape, focus restored) and bubble (preview message, brand name, open and close).
import { answer, check, click, see, screenshot } from '../lib.mjs';

export default async function embeds(t) {
  let page = await t.open(`${t.host}/inline.html`);
  await see(page, "Hello Ada! I'm the web demo bot.");
  const inShadow = await page.evaluate(() => !!document.querySelector('#chat').shadowRoot?.querySelector('.chat'));
  check(inShadow, 'the inline chat renders into the container\'s open shadow root');
  t.ok(`inline: the bot starts in its container with the script tag's prefilled variables; ${await screenshot(page, 'inline', t.out, t.browser)}`);
  await answer(page, 'Ada');
  await see(page, 'Nice to meet you Ada.');
  t.ok('inline: an answer is shown and sent');
  await t.done(page);

  page = await t.open(`${t.host}/popup.html`);
  const dialog = page.getByRole('dialog');
  check(!(await dialog.isVisible()), 'the popup starts closed');
  await click(page, 'Open the chat');
  // Typing emulation: the second bubble is preceded by the typing indicator.
  await page.waitForFunction(() => !!document.querySelector('[data-tessera]')?.shadowRoot?.querySelector('.typing'), null, { polling: 'raf', timeout: 4000 });
  await see(page, "Hi! I'm the Tessera demo bot.");
  await see(page, "What's your name?");
  await answer(page, 'Grace');
  await see(page, 'Nice to meet you Grace!');
  await see(page, 'Pick a plan');
  check(await dialog.getAttribute('aria-modal') === 'true', 'the popup is a modal dialog');
  t.ok(`popup: opened by Tessera.open() from the host page's button, typing emulation on; ${await screenshot(page, 'popup', t.out, t.browser)}`);
  const starter = page.getByRole('button', { name: 'Pro', exact: true });
  await starter.focus();
  await page.keyboard.press('Tab');
  const trapped = await page.evaluate(() => document.querySelector('[data-tessera]').shadowRoot.activeElement?.getAttribute('aria-label'));
  check(trapped === 'Close chat', `Tab from the last control of the modal goes back to its first (${trapped})`);
  await starter.focus();
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'hidden' });
  const focused = await page.evaluate(() => document.activeElement?.textContent);
  check(focused === 'Open the chat', `Escape closes the popup and focus returns to the opener (${focused})`);
  t.ok('popup: Tab stays inside the modal; Escape closes it and focus returns to the button that opened it');
  await t.done(page);

  page = await t.open(`${t.host}/bubble.html`);
  await see(page, 'Need help? Ask us!');
  t.ok(`bubble: the floating button shows its preview message; ${await screenshot(page, 'bubble-closed', t.out, t.browser)}`);
  const launcher = page.getByRole('button', { name: 'Open chat with Acme Support' });
  await launcher.click();
  await see(page, 'Acme Support');
  await see(page, "I'm the web demo bot.");
  check(await launcher.getAttribute('aria-expanded') === 'true', 'the launcher says it is expanded');
  t.ok(`bubble: the launcher opens the chat window with the brand name; ${await screenshot(page, 'bubble-open', t.out, t.browser)}`);
  const logo = await page.evaluate(() => [...document.querySelector('[data-tessera]').shadowRoot.querySelectorAll('img.logo, .launcher img')].map(i => i.naturalWidth));
  check(logo.length === 2 && logo.every(w => w === 2), `the brand logo is on the launcher and in the header (${logo})`);
  await page.getByRole('button', { name: 'Close chat' }).first().click();
  await page.getByRole('dialog').waitFor({ state: 'hidden' });
  t.ok('bubble: the brand logo is shown; the close button closes the chat window');
  await t.done(page);

  page = await t.open(`${t.host}/popup-delay.html`);
  await page.getByRole('dialog').waitFor({ state: 'visible', timeout: 4000 });
  await see(page, 'Support for order');
  t.ok('popup: data-auto-show-delay opens it by itself');
  await t.done(page);
}
