// The seed's three triggers: a button calling Tessera.startWorkflow(name, {context}) (the
// widget opens on that workflow, context as variables, user id passed along), a route page with
// <tessera-chat workflow user-id initial-context>, and several bots on one page; the host page
// receives the message, answer and end events. Runs started from a page with a user id are
// workflow runs of that user: the workflow runs API lists them with their context and
// transcript; a user id whose HMAC does not match (the identity check is on) is refused.
import { check, click, see, screenshot } from '../lib.mjs';

/** The runs of workflow `name` for `user` (workflow runs API, with the API token). */
async function runs(t, name, user) {
  const r = await fetch(`${t.tessera}/api/workflows/${name}/runs?user_id=${encodeURIComponent(user)}`, { headers: { authorization: `Bearer ${process.env.WEB_TEST_TOKEN}` } });
  const body = await r.json();
  check(r.ok, `the runs API answers ${r.status} ${JSON.stringify(body).slice(0, 300)}`);
  return body.runs;
}

/** The run of `list` with exactly this context; its transcript as lines of text. */
function runWith(list, context, user) {
  const run = list.find(r => JSON.stringify(r.context) === JSON.stringify(context));
  check(run, `a run of ${user} with the context ${JSON.stringify(context)} is listed (runs: ${JSON.stringify(list).slice(0, 400)})`);
  const leaves = v => typeof v !== 'object' || v === null ? '' : Array.isArray(v) ? v.map(leaves).join('') : typeof v.text === 'string' ? v.text : Object.values(v).map(leaves).join('');
  return run.transcript.map(e => `${e.role}: ${e.role === 'user' ? e.text : leaves(e.message)}`);
}

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

  check(process.env.WEB_TEST_TOKEN && process.env.WEB_TEST_IDENTITY_SECRET, 'WEB_TEST_TOKEN and WEB_TEST_IDENTITY_SECRET are set (scripts/web-test.sh sets them)');
  const button = await runs(t, 'CustomerSupport', 'user_42');
  const first = runWith(button, { order_id: 'order_42' }, 'user_42');
  check(first.includes('user: Refund') && first.includes('bot: Noted: Refund for order order_42. A human will contact you.'), `the button's run has its transcript: ${first.join(' / ')}`);
  runWith(button, { order_id: 'order_77' }, 'user_42');
  t.ok(`the button's runs are workflow runs of user_42 with their context and transcript (${button.length} runs)`);
  const route = await runs(t, 'CustomerSupport', 'user_123');
  const routed = runWith(route, { order_id: 'order_456' }, 'user_123');
  check(routed.includes('bot: Support for order order_456 (user user_123).'), `the route's run has its transcript: ${routed.join(' / ')}`);
  runWith(route, { order_id: 'order_789' }, 'user_123');
  t.ok(`the <tessera-chat> runs are workflow runs of user_123 with their context (${route.length} runs)`);

  page = await t.open(`${t.host}/forged.html`);
  await see(page, 'The user id in userId is not verified');
  await t.done(page);
  check((await runs(t, 'CustomerSupport', 'user_666')).length === 0, 'a refused start records no run');
  const forged = await fetch(`${t.tessera}/api/workflows/CustomerSupport/start`, {
    method: 'POST', headers: { 'content-type': 'application/json', 'x-tessera-user-hash': '00'.repeat(32) },
    body: JSON.stringify({ userId: 'user_42', prefilledVariables: { order_id: 'x' } }),
  });
  const err = await forged.json();
  check(forged.status === 403 && err.code === 'identity_mismatch', `a start with a bad HMAC is refused (${forged.status} ${JSON.stringify(err)})`);
  t.ok('with the identity check on, a user id whose HMAC does not match is refused (403 identity_mismatch) and records no run');

  page = await t.open(`${t.host}/multi.html`, { height: 1300 });
  await see(page, "Hello Left! I'm the web demo bot.", { selector: 'tessera-chat[bot=web-demo]' });
  await see(page, 'Support for order order_9', { selector: 'tessera-chat[bot=CustomerSupport]' });
  t.ok('two bots on one page, each in its own shadow root');
  await t.done(page);
}
