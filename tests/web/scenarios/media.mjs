// Media under the strict CSPs: the bundled welcome bot (flows/welcome.json, published here
// through the API) carries its sound as a data:audio/wav URL. On its Tessera page (the
// server's page CSP) and inline on a host page (the host policy the README recommends), the
// audio bubble is shown, its data: URL loads (metadata read, duration known) and plays, with no
// CSP violation (run.mjs fails a page on any).
import fs from 'node:fs';
import path from 'node:path';
import { check, here, see } from '../lib.mjs';

const WELCOME = path.join(here, '..', '..', 'flows', 'welcome.json');

/** Waits for the audio bubble, its metadata, and a moment of playback; what it found. */
async function playAudio(page) {
  const audio = page.locator('audio').first();
  await audio.waitFor({ state: 'attached', timeout: 8000 });
  const src = await audio.getAttribute('src');
  check(src?.startsWith('data:audio/wav;base64,'), `the audio bubble keeps its data: URL (${src?.slice(0, 40)})`);
  await audio.evaluate(a => new Promise((resolve, reject) => {
    if (a.readyState >= 1) return resolve();
    a.addEventListener('loadedmetadata', resolve, { once: true });
    a.addEventListener('error', () => reject(new Error(`the audio did not load: ${a.error?.message || a.error?.code}`)), { once: true });
    a.load();
  }));
  // A click is the user gesture that playback needs; then it plays for a while.
  await audio.click();
  return audio.evaluate(async a => {
    a.muted = true;
    await a.play();
    const t0 = Date.now();
    while (a.currentTime === 0 && !a.ended && Date.now() - t0 < 3000) await new Promise(r => setTimeout(r, 50));
    return { duration: a.duration, played: a.currentTime > 0 || a.ended };
  });
}

export default async function media(t) {
  const flow = JSON.parse(fs.readFileSync(WELCOME, 'utf8'));
  const r = await fetch(`${t.tessera}/api/v1/flows/${flow.id}`, {
    method: 'PUT', headers: { authorization: `Bearer ${process.env.WEB_TEST_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(flow),
  });
  check(r.ok, `the bundled welcome bot publishes (${r.status} ${await r.text()})`);

  for (const [where, url] of [['its Tessera page', `${t.tessera}/welcome`], ['a host page', `${t.host}/welcome.html`]]) {
    const page = await t.open(url);
    await see(page, "Here's a short video, a sound and a map");
    const a = await playAudio(page);
    check(a.duration > 0 && a.played, `the data: sound loads and plays (${JSON.stringify(a)})`);
    t.ok(`the welcome bot's data:audio sound loads and plays on ${where} (${a.duration.toFixed(2)} s), no CSP violation`);
    await t.done(page);
  }
}
