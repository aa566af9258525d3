// Size: what /embed.js loads for an inline, popup or bubble chat with the common inputs (the
// script, the modules it imports, the stylesheet) is under 25 KB gzipped; the rarer inputs
// (inputs-more.js, and file-input.js which it imports) are not among them, they load lazily.
import zlib from 'node:zlib';
import { check, click, see } from '../lib.mjs';

const LIMIT = 25 * 1024;
const MODES = [
  ['inline', '/inline.html', null, 'What should I call you?'],
  ['popup', '/popup.html', 'Open the chat', "What's your name?"],
  ['bubble', '/bubble.html', 'Open chat with Acme Support', 'What should I call you?'],
];

export default async function size(t) {
  for (const [mode, path, opener, text] of MODES) {
    const page = await t.open(`${t.host}${path}`);
    const loaded = new Set();
    page.on('request', r => { if (r.url().startsWith(t.tessera) && !r.url().includes('/api/')) loaded.add(r.url()); });
    await page.reload();
    if (opener) await click(page, opener);
    await see(page, text);
    await t.done(page);
    check(![...loaded].some(u => u.endsWith('inputs-more.js') || u.endsWith('file-input.js')), `${mode}: inputs-more.js and file-input.js load lazily`);
    let total = 0;
    const parts = [];
    for (const u of loaded) {
      const body = Buffer.from(await (await fetch(u)).arrayBuffer());
      const gz = zlib.gzipSync(body, { level: 9 }).length;
      total += gz;
      parts.push(`${u.split('/').pop()} ${gz}`);
    }
    check(total < LIMIT, `${mode}: the player loads ${total} bytes gzipped (limit ${LIMIT}): ${parts.join(', ')}`);
    t.ok(`size, ${mode}: ${loaded.size} files, ${(total / 1024).toFixed(1)} KB gzipped (< 25 KB)${mode === 'inline' ? `: ${parts.join(', ')}` : ''}`);
  }
}
