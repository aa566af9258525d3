// Streamed AI answers in Tessera's player: the AI bot of the browser AI test
// (tests/browser/ai-bot.json, published here through the API) answers through the stand-in
// OpenAI server that web-test.sh starts (one word per chunk, 40 ms apart). The player gets the
// `stream` action, POSTs streamMessage, shows the text growing in one bubble as the chunks
// arrive, then sends it back with continueChat: the next bubble shows the saved answer and the
// streamed bubble is not shown twice.
import fs from 'node:fs';
import path from 'node:path';
import { answer, check, here, see } from '../lib.mjs';

export default async function stream(t) {
  const flow = JSON.parse(fs.readFileSync(path.join(here, '..', 'browser', 'ai-bot.json'), 'utf8'));
  const r = await fetch(`${t.tessera}/api/v1/flows/${flow.id}`, {
    method: 'PUT', headers: { authorization: `Bearer ${process.env.WEB_TEST_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(flow),
  });
  check(r.ok, `the AI bot publishes (${r.status} ${await r.text()})`);

  const page = await t.open(`${t.host}/stream.html`);
  const streamed = [];
  page.on('request', q => { if (q.url().endsWith('/streamMessage')) streamed.push(q.method()); });
  await see(page, 'Ask me anything');
  // Every text the bot's bubbles go through, recorded as the DOM changes.
  await page.evaluate(() => {
    window.__texts = [];
    const root = document.querySelector('#chat').shadowRoot;
    new MutationObserver(() => {
      const last = [...root.querySelectorAll('.host-bubble')].pop()?.textContent;
      if (last && window.__texts[window.__texts.length - 1] !== last) window.__texts.push(last);
    }).observe(root, { subtree: true, childList: true, characterData: true });
  });
  await answer(page, 'Hello there');
  await see(page, 'Saved: Echo: Hello there');
  check(streamed.length === 1 && streamed[0] === 'POST', `the player POSTs streamMessage once (${streamed})`);
  const texts = await page.evaluate(() => window.__texts);
  const partial = texts.filter(x => x.startsWith('Echo:') && x !== 'Echo: Hello there');
  check(partial.length >= 1 && texts.includes('Echo: Hello there'), `the answer grows in its bubble as the chunks arrive (${JSON.stringify(texts)})`);
  const bubbles = await page.evaluate(() => [...document.querySelector('#chat').shadowRoot.querySelectorAll('.host-bubble')].map(b => b.textContent.trim()));
  check(bubbles.filter(b => b === 'Echo: Hello there').length === 1, `the streamed bubble is shown once (${JSON.stringify(bubbles)})`);
  t.ok(`stream: the AI answer streams into a bubble (${JSON.stringify(partial)} then the whole text), then the conversation goes on with it`);
  await t.done(page);
}
