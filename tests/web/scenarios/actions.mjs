// Client-side actions, media, theme and remember-user through the actions bot, inline on a
// host page whose CSP allows the bot author's scripts (unsafe-eval): a set-variable evaluated
// in the browser, a script, a wait, image / YouTube / audio / embed bubbles, the theme (colours,
// custom CSS, a dynamic host avatar), the session resumed after a reload (rememberUser), and
// the final redirect.
import { answer, check, see } from '../lib.mjs';

export default async function actions(t) {
  const page = await t.open(`${t.host}/actions.html`, { height: 1000 });
  const started = Date.now();
  await see(page, 'Computed 42 in the browser.');
  await see(page, 'After the wait.');
  check(Date.now() - started >= 900, 'the wait action waited');
  check(await page.evaluate(() => window.__ran) === 'yes', "the bot author's script ran");
  t.ok('actions: set variable evaluated in the browser, script, wait');
  const media = await page.evaluate(() => {
    const r = document.querySelector('#chat').shadowRoot;
    return {
      img: r.querySelector('a[href="https://tessera.example/"] img.media')?.alt,
      video: r.querySelector('iframe.frame[src^="https://www.youtube-nocookie.com/embed/jNQXAC9IVRw"]') !== null,
      audio: r.querySelector('audio[src="https://media.example/sound.ogg"]') !== null,
      embed: r.querySelector('iframe.frame[src="https://maps.example/embed"]')?.getAttribute('sandbox'),
    };
  });
  check(media.img === 'A robot' && media.video && media.audio && media.embed?.includes('allow-scripts'), `media bubbles: ${JSON.stringify(media)}`);
  t.ok('media: image with its link and alt, YouTube video, audio, sandboxed embed');
  const theme = await page.evaluate(() => {
    const r = document.querySelector('#chat').shadowRoot;
    const bubble = getComputedStyle(r.querySelector('.host-bubble'));
    return { bg: bubble.backgroundColor, outline: bubble.outlineColor, avatar: r.querySelector('img.avatar')?.src?.slice(0, 22) };
  });
  check(theme.bg === 'rgb(254, 243, 199)' && theme.outline === 'rgb(255, 0, 0)' && theme.avatar === 'data:image/png;base64,', `theme: ${JSON.stringify(theme)}`);
  t.ok('theme: bubble colours, custom CSS in the shadow root, dynamic host avatar');
  await see(page, 'Your name?');
  await answer(page, 'Rita');
  await see(page, 'Thanks Rita, one more?');
  await page.reload();
  await see(page, 'Thanks Rita, one more?');
  await see(page, 'Rita');
  t.ok('remember-user: after a reload the conversation and its input are back');
  await answer(page, 'done');
  await page.waitForURL(`${t.host}/landed.html`, { timeout: 8000 });
  t.ok('redirect: the last action leaves for the redirect target');
  await t.done(page);
}
