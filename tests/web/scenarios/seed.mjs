// The seed's three triggers: a button calling Tessera.startWorkflow(name, {context}) (the
// widget opens on that workflow, context as variables, user id passed along), a route page with
// <tessera-chat workflow user-id initial-context>, and several bots on one page; the host page
// receives the message, answer and end events; the run is in the server's results with its
// user id.
import { check, click, see, screenshot } from '../lib.mjs';

export default async function seed(t) {
  let page = await t.open(`${t.host}/order.html`);
  check(await page.locator('[data-tessera]').count() === 0, 'no widget exists before startWorkflow');
  await click(page, 'Get Help with This Order');
  await see(page, 'Support for order order_42 (user user_42).');
  t.ok(`button trigger: startWorkflow('CustomerSupport', {context}) opens the widget with the context; ${await screenshot(page, 'seed-button', t.out, t.browser)}`);
  await click(page, 'Refund');
  await see(page, 'Noted: Refund for order order_42. A human will contact you.');
  const events = await page.evaluate(() => window.__events.map(e => e.type));
  for (const e of ['open', 'start', 'message', 'answer', 'end']) check(events.includes(e), `the host page got a ${e} event (${events})`);
  t.ok(`the host page receives events: ${[...new Set(events)].join(', ')}`);
  await page.evaluate(() => window.Tessera.toggle());
  await page.getByRole('dialog').waitFor({ state: 'hidden' });
  await page.evaluate(() => { window.Tessera.setPrefilledVariables({ order_id: 'order_77' }); return window.Tessera.reset(); });
  await page.evaluate(() => window.Tessera.toggle());
  await see(page, 'Support for order order_77 (user user_42).');
  check(!(await page.getByText('Noted: Refund').isVisible()), 'reset starts a new conversation');
  t.ok('Tessera.toggle() closes and opens the widget; setPrefilledVariables + reset() restart it with new variables');
  await t.done(page);

  page = await t.open(`${t.host}/support.html`);
  await see(page, 'Support for order order_456 (user user_123).');
  t.ok(`route trigger: <tessera-chat workflow user-id initial-context>; ${await screenshot(page, 'seed-route', t.out, t.browser)}`);
  await page.evaluate(() => document.querySelector('tessera-chat').setAttribute('initial-context', '{"order_id":"order_789"}'));
  await see(page, 'Support for order order_789 (user user_123).');
  t.ok('a route page that changes initial-context starts the new conversation');
  await page.getByRole('button', { name: 'Close chat' }).click();
  await page.waitForFunction(() => document.title === 'closed', null, { timeout: 4000 });
  t.ok('a closable <tessera-chat> sends its page a tessera:close event (the seed\'s onClose)');
  await t.done(page);

  const token = process.env.WEB_TEST_TOKEN;
  if (token) {
    const r = await fetch(`${t.tessera}/api/v1/flows/customer-support-flow/results`, { headers: { authorization: `Bearer ${token}` } });
    const body = await r.text();
    check(r.ok && body.includes('user_123') && body.includes('user_42'), `the runs carry their user ids (${r.status} ${body.slice(0, 300)})`);
    t.ok('the runs started from the pages carry their user ids in the results API');
  }

  page = await t.open(`${t.host}/multi.html`, { height: 1300 });
  await see(page, "Hello Left! I'm the web demo bot.", { selector: 'tessera-chat[bot=web-demo]' });
  await see(page, 'Support for order order_9', { selector: 'tessera-chat[bot=CustomerSupport]' });
  t.ok('two bots on one page, each in its own shadow root');
  await t.done(page);
}
