// File inputs in Tessera's player, through the bundled document-upload bot (flows/, published
// here through the API): its required single file input (types .pdf and .txt, 1 MB) refuses a
// wrong type (in the player) and a file over the limit (the server, asked for an upload URL
// with the file's size) with the bot's messages, then uploads a real file
// (generate-upload-url, then the presigned PUT to Tessera itself: any other host fails the run),
// the conversation goes on with the file URL, and that URL serves the file back; its optional
// multiple input lists the picked files (removable) and uploads them, the reply being the URLs
// joined with ", ". Inline on the strict-CSP host page, and as a full page played with the
// keyboard only (Enter opens the file chooser, Tab reaches the skip button). The module loads
// only when a bot shows a file input; axe reports no violation on either input.
import fs from 'node:fs';
import path from 'node:path';
import { check, here, see, screenshot } from '../lib.mjs';
import { axe } from './a11y.mjs';

const FLOW = path.join(here, '..', '..', 'flows', 'document-upload.json');
const file = (name, mimeType, content) => ({ name, mimeType, buffer: Buffer.from(content) });

/** Opens the file chooser from the current input's drop zone (keyboard: Enter) and picks `files`. */
async function choose(page, files, { keyboard = false } = {}) {
  const zone = page.locator('.input-slot .dropzone');
  const [chooser] = await Promise.all([
    page.waitForEvent('filechooser', { timeout: 8000 }),
    keyboard ? (await zone.focus(), page.keyboard.press('Enter')) : zone.click(),
  ]);
  await chooser.setFiles(files);
}

/** The file URLs shown after `prefix` in the last bubble starting with it. */
async function urlsAfter(page, prefix) {
  const texts = await page.evaluate(() => [...document.querySelector('tessera-chat, [data-tessera]').shadowRoot.querySelectorAll('.host-bubble')].map(b => b.textContent.trim()));
  const last = texts.filter(x => x.startsWith(prefix)).pop() || '';
  return last.slice(prefix.length).split(', ').map(s => s.trim()).filter(Boolean);
}

/** Fetches each URL from Tessera and checks it serves `contents[i]`. */
async function servedBack(t, urls, contents) {
  check(urls.length === contents.length, `${contents.length} file URL(s) in the conversation (${urls})`);
  for (const [i, u] of urls.entries()) {
    check(u.startsWith(`${t.tessera}/api/v1/files/`), `the file URL is Tessera's (${u})`);
    const r = await fetch(u);
    const body = await r.text();
    check(r.ok && body === contents[i], `${u} serves the uploaded file back (${r.status}: ${body.slice(0, 40)})`);
  }
}

export default async function files(t) {
  const flow = JSON.parse(fs.readFileSync(FLOW, 'utf8'));
  const r = await fetch(`${t.tessera}/api/v1/flows/${flow.id}`, {
    method: 'PUT', headers: { authorization: `Bearer ${process.env.WEB_TEST_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(flow),
  });
  check(r.ok, `the document-upload bot publishes (${r.status} ${await r.text()})`);

  // Inline, on the host page with its strict CSP.
  let page = await t.open(`${t.host}/files.html`);
  const puts = [];
  page.on('request', q => { if (q.method() === 'PUT') puts.push(q.url()); });
  await see(page, 'Please send your CV');
  await page.locator('.input-slot .dropzone').waitFor();
  const loaded = await page.evaluate(() => performance.getEntriesByType('resource').map(e => e.name));
  check(loaded.some(u => u.endsWith('/_tessera/file-input.js')), 'file-input.js loads when the bot shows a file input');
  const hint = await see(page, 'Accepted: .pdf, .txt');
  check(hint.includes('Choose your CV or drop it here'), 'the drop zone shows the block\'s placeholder (its HTML tags as elements)');
  await choose(page, [file('cv.exe', 'application/octet-stream', 'MZ')]);
  await see(page, 'cv.exe: this type of file is not allowed.');
  // The size limit is the server's to check (Typebot sends no sizeLimit to players of v6
  // bots): generate-upload-url refuses the declared size before any byte is sent.
  await choose(page, [file('cv.txt', 'text/plain', 'x'.repeat(1024 * 1024 + 1))]);
  await see(page, 'cv.txt is larger than 1MB');
  check(puts.length === 0, 'nothing is uploaded for a refused file');
  t.ok(`file input: a wrong type and a file over the block's size limit are refused with their messages; ${await screenshot(page, 'file-input', t.out, t.browser)}`);
  await choose(page, [file('cv.txt', 'text/plain', "Ada's CV")]);
  await see(page, 'CV sent');
  await see(page, 'Thanks, we have your CV: http');
  await servedBack(t, await urlsAfter(page, 'Thanks, we have your CV: '), ["Ada's CV"]);
  check(puts.length === 1 && puts[0].startsWith(`${t.tessera}/api/v3/uploads/`), `the file is PUT to Tessera's presigned URL (${puts})`);
  t.ok('file input: a picked file is uploaded at once, the conversation goes on with its URL, which serves the file back');

  await see(page, 'Anything else to add?');
  const slot = page.locator('#chat .input-slot');
  await slot.getByRole('button', { name: 'Nothing else', exact: true }).waitFor();
  await choose(page, [file('letter.txt', 'text/plain', 'Dear team'), file('photo.png', 'image/png', 'not really a png')]);
  await choose(page, [file('letter.txt', 'text/plain', 'Second letter')]);
  const names = await slot.locator('.file-list .name').allTextContents();
  check(JSON.stringify(names) === JSON.stringify(['letter.txt', 'photo.png', 'letter(1).txt']), `the picked files are listed, a same name renamed (${names})`);
  check(!(await slot.getByRole('button', { name: 'Nothing else' }).isVisible()), 'no skip button once files are picked');
  await slot.getByRole('button', { name: 'Remove photo.png' }).click();
  await slot.getByRole('button', { name: 'Remove all', exact: true }).click();
  check(await slot.locator('.file-list li').count() === 0, 'the clear button empties the list');
  await choose(page, [file('letter.txt', 'text/plain', 'Dear team'), file('diploma.pdf', 'application/pdf', '%PDF-1.4 diploma')]);
  // What the upload shows as it goes: the progress bar's values and the status line.
  await page.evaluate(() => {
    window.__progress = [];
    const root = document.querySelector('#chat').shadowRoot;
    new MutationObserver(() => {
      const bar = root.querySelector('.upload-progress:not([hidden])');
      const status = root.querySelector('.file-input [role=status]')?.textContent;
      if (bar) window.__progress.push(`${bar.getAttribute('aria-valuenow')} ${status}`);
    }).observe(root, { subtree: true, attributes: true, childList: true, characterData: true });
  });
  await slot.getByRole('button', { name: 'Upload 2 files', exact: true }).click();
  await see(page, '2 documents sent');
  const shownProgress = [...new Set(await page.evaluate(() => window.__progress))];
  check(shownProgress.some(p => p.includes('Uploading letter.txt (1 of 2)')) && shownProgress.some(p => p.includes('Uploading diploma.pdf (2 of 2)'))
    && shownProgress.some(p => p.startsWith('100 ')), `the upload shows its progress and status (${shownProgress})`);
  await see(page, "Your application is complete. We'll be in touch!");
  await servedBack(t, await urlsAfter(page, 'Other documents: '), ['Dear team', '%PDF-1.4 diploma']);
  t.ok('file input, multiple: files listed, removed, cleared, uploaded with the upload button and its progress; the reply is their URLs joined with ", "');
  await t.done(page);

  // A placeholder carrying script: its markup other than emphasis is dropped, nothing runs.
  const xss = { ...flow, id: 'file-xss', publicId: 'file-xss', name: 'File XSS' };
  xss.groups = [{ ...flow.groups[0], blocks: flow.groups[0].blocks.slice(0, 2).map(b => (b.type !== 'file input' ? b
    : { ...b, options: { ...b.options, labels: { placeholder: '<img src=x onerror="window.__xss=1"><script>window.__xss=1</script><a href="javascript:window.__xss=1"><b>Bold</b> drop</a>' } } })) }];
  xss.edges = flow.edges.slice(0, 1);
  const put = await fetch(`${t.tessera}/api/v1/flows/file-xss`, {
    method: 'PUT', headers: { authorization: `Bearer ${process.env.WEB_TEST_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(xss),
  });
  check(put.ok, `the file-xss bot publishes (${put.status} ${await put.text()})`);
  page = await t.open(`${t.tessera}/file-xss`);
  await see(page, 'Bold drop');
  const zoneHtml = await page.evaluate(() => document.querySelector('tessera-chat, [data-tessera]').shadowRoot.querySelector('.dropzone').innerHTML);
  check(!/<(img|script|a)\b/i.test(zoneHtml) && /<b>Bold<\/b>/.test(zoneHtml), `only emphasis is kept from the placeholder (${zoneHtml})`);
  check(await page.evaluate(() => window.__xss) === undefined, 'nothing of the placeholder executes');
  t.ok('file input: a placeholder with script, an event handler and a javascript: link keeps only its emphasis, nothing executes');
  await t.done(page);

  // The full page, with the keyboard only.
  page = await t.open(`${t.tessera}/document-upload`, { width: 360, height: 740 });
  await see(page, 'Please send your CV');
  await page.locator('.input-slot .dropzone').waitFor();
  const focused = () => page.evaluate(() => document.querySelector('tessera-chat, [data-tessera]').shadowRoot.activeElement?.className);
  check(await focused() === 'dropzone', `the drop zone has the focus (${await focused()})`);
  await choose(page, [file('cv.pdf', 'application/pdf', '%PDF-1.4 cv')], { keyboard: true });
  await see(page, 'Thanks, we have your CV: http');
  await servedBack(t, await urlsAfter(page, 'Thanks, we have your CV: '), ['%PDF-1.4 cv']);
  await see(page, 'Anything else to add?');
  await page.locator('.input-slot .dropzone').waitFor();
  await page.keyboard.press('Tab');
  const skip = await page.evaluate(() => document.querySelector('tessera-chat, [data-tessera]').shadowRoot.activeElement?.textContent);
  check(skip === 'Nothing else', `Tab moves from the drop zone to the skip button (${skip})`);
  await page.keyboard.press('Enter');
  await see(page, "Your application is complete. We'll be in touch!");
  const guest = await page.evaluate(() => [...document.querySelector('tessera-chat, [data-tessera]').shadowRoot.querySelectorAll('.guest-bubble')].map(b => b.textContent));
  check(JSON.stringify(guest) === JSON.stringify(['CV sent', 'Nothing else']), `the guest bubbles show the success and skip labels (${guest})`);
  t.ok('file input on the full page with the keyboard: Enter opens the chooser and uploads, Tab and Enter skip the optional one');
  await t.done(page);

  // axe on both inputs (the CSP bypassed to inject axe).
  page = await t.open(`${t.tessera}/document-upload`, { width: 360, height: 740, bypassCSP: true });
  await see(page, 'Please send your CV');
  await page.locator('.input-slot .dropzone').waitFor();
  await axe(page, 'file input');
  await choose(page, [file('cv.txt', 'text/plain', 'cv')]);
  await see(page, 'Anything else to add?');
  await choose(page, [file('a.txt', 'text/plain', 'a'), file('b.txt', 'text/plain', 'b')]);
  await axe(page, 'multiple file input with two files picked');
  t.ok('axe: no violation on the file input, single and multiple with files picked (360 px)');
  await t.done(page);
}
