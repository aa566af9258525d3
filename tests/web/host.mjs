// The host pages of the web test: a site on its own loopback origin that embeds Tessera the
// ways a site owner would (one script tag; inline, popup, bubble; the seed's three triggers:
// a button calling Tessera.startWorkflow with context, a route page with <tessera-chat>, the
// floating bubble; several bots on one page). Every page is sent with a strict CSP (no inline
// script or style, scripts only from this site and Tessera) and its own code is in /host.js.
// Like a real site's backend, it signs the user ids it puts in its pages with the server's
// identity secret (WEB_TEST_IDENTITY_SECRET): the HMAC goes into user-hash / data-user-hash.
import crypto from 'node:crypto';
import http from 'node:http';

/** hex(HMAC-SHA256(identity secret, user id)): what the site's backend computes. */
export const userHash = id => crypto.createHmac('sha256', process.env.WEB_TEST_IDENTITY_SECRET || '').update(id).digest('hex');

const page = (tessera, title, body) => `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>${title}</title>
<link rel="stylesheet" href="/host.css"></head><body>${body}
<script src="/host.js"></script></body></html>`;

// A 2x2 PNG, the bot's dynamic host avatar.
const AVATAR = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEElEQVR4nGN4FqABRAwQCgApTgV55YHZGgAAAABJRU5ErkJggg==';

// A 2x2 PNG: the brand logo of the bubble page.
const LOGO = 'iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEElEQVR4nGMQqTgBRAwQCgAibgVRDiZvtgAAAABJRU5ErkJggg==';

// The XSS page's prefilled variables, escaped for a single-quoted attribute.
const XSS_PREFILL = JSON.stringify({
  Payload: '<img src=x onerror="window.__xss=1"><script>window.__xss=1</script>',
  Link: 'javascript:window.__xss=1',
}).replace(/'/g, '&#39;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

const script = (t, attrs) => `<script src="${t}/embed.js" ${attrs}></script>`;

export const PAGES = {
  '/inline.html': t => page(t, 'Inline', `<main><h1>Inline embed</h1><div id="chat" class="box"></div></main>
${script(t, 'data-bot="web-demo" data-mode="inline" data-target="#chat" data-prefilled=\'{"First name":"Ada"}\'')}`),
  '/popup.html': t => page(t, 'Popup', `<main><h1>Popup embed</h1><button id="open" type="button">Open the chat</button></main>
${script(t, 'data-bot="browser-demo" data-mode="popup"')}`),
  '/bubble.html': t => page(t, 'Bubble', `<main><h1>Acme</h1><p>A page with the floating chat bubble.</p></main>
${script(t, `data-bot="web-demo" data-mode="bubble" data-brand-name="Acme Support" data-logo="/logo.png" data-preview-message="Need help? Ask us!" data-user-id="user_bubble" data-user-hash="${userHash('user_bubble')}"`)}`),
  '/popup-delay.html': t => page(t, 'Popup after a delay', `<main><h1>Popup after a delay</h1></main>
${script(t, 'data-bot="CustomerSupport" data-mode="popup" data-auto-show-delay="600"')}`),
  '/order.html': t => page(t, 'Order 42', `<main><h1>Order 42</h1><button id="get-help" type="button" data-user-hash="${userHash('user_42')}">Get Help with This Order</button></main>
${script(t, '')}`),
  '/support.html': t => page(t, 'Support', `<main><h1>Support</h1>
<tessera-chat class="box" workflow="CustomerSupport" user-id="user_123" user-hash="${userHash('user_123')}" initial-context='{"order_id":"order_456"}' brand-name="Acme Support" closable></tessera-chat></main>
${script(t, '')}`),
  // A page claiming user_666 with user_123's hash: the server refuses it.
  '/forged.html': t => page(t, 'Forged user', `<main><h1>Support</h1>
<tessera-chat class="box" workflow="CustomerSupport" user-id="user_666" user-hash="${userHash('user_123')}" initial-context='{"order_id":"order_1"}'></tessera-chat></main>
${script(t, '')}`),
  '/inputs.html': t => page(t, 'Every input', `<main><div id="chat" class="box tall"></div></main>
${script(t, 'data-bot="inputs-showcase" data-mode="inline" data-target="#chat" data-typing="off"')}`),
  '/files.html': t => page(t, 'Documents', `<main><div id="chat" class="box tall"></div></main>
${script(t, 'data-bot="document-upload" data-mode="inline" data-target="#chat" data-typing="off"')}`),
  '/multi.html': t => page(t, 'Two bots', `<main><h1>Two bots</h1>
<tessera-chat class="box" bot="web-demo" prefilled='{"First name":"Left"}'></tessera-chat>
<tessera-chat class="box" bot="CustomerSupport" initial-context='{"order_id":"order_9"}'></tessera-chat></main>
${script(t, '')}`),
  '/actions.html': t => page(t, 'Actions', `<main><div id="chat" class="box tall"></div></main>
${script(t, `data-bot="actions" data-mode="inline" data-target="#chat" data-prefilled='${JSON.stringify({ Avatar: AVATAR, Target: '/landed.html' })}'`)}`),
  '/xss-markdown.html': t => page(t, 'XSS (Markdown)', `<main><div id="chat" class="box tall"></div></main>
${script(t, `data-bot="xss" data-mode="inline" data-target="#chat" data-format="markdown" data-prefilled='${XSS_PREFILL}'`)}`),
  '/welcome.html': t => page(t, 'Welcome', `<main><div id="chat" class="box tall"></div></main>
${script(t, 'data-bot="welcome" data-mode="inline" data-target="#chat" data-typing="off"')}`),
  '/stream.html': t => page(t, 'Streaming', `<main><div id="chat" class="box"></div></main>
${script(t, 'data-bot="browser-ai" data-mode="inline" data-target="#chat" data-typing="off"')}`),
  '/landed.html': t => page(t, 'Landed', '<main><h1>Redirect target</h1></main>'),
  '/xss.html': t => page(t, 'XSS', `<main><div id="chat" class="box tall"></div></main>
${script(t, `data-bot="xss" data-mode="inline" data-target="#chat" data-prefilled='${XSS_PREFILL}'`)}`),
};

const HOST_JS = `// The host page's own code: buttons that use the Tessera API, and a record of its events.
window.__events = [];
for (const type of ['message', 'answer', 'end', 'open', 'close', 'start']) {
  window.Tessera?.on(type, d => window.__events.push({ type, bot: d.bot, text: d.message?.content?.richText ? JSON.stringify(d.message.content.richText) : d.message }));
}
const help = document.getElementById('get-help');
help?.addEventListener('click', () =>
  window.Tessera.startWorkflow('CustomerSupport', { context: { order_id: 'order_42' }, userId: 'user_42', userHash: help.dataset.userHash }));
document.getElementById('open')?.addEventListener('click', () => window.Tessera.open());
// A route page's WorkflowChat onClose: the element's close event leads back home.
document.querySelector('tessera-chat[closable]')?.addEventListener('tessera:close', () => { document.title = 'closed'; });
`;

const HOST_CSS = `body { margin: 0; font-family: sans-serif; background: #fafafa; }
main { padding: 16px; max-width: 760px; margin: 0 auto; }
.box { display: block; height: 560px; border: 1px solid #ccc; border-radius: 8px; margin: 12px 0; }
.tall { height: 760px; }
`;

/** Starts the host site; resolves to its origin. */
export async function startHost(tessera) {
  const csp = [`default-src 'self'`, `script-src 'self' ${tessera}`, `style-src 'self'`, `connect-src ${tessera}`,
    `img-src 'self' ${tessera} https: data:`, `media-src 'self' https: data: blob:`, `font-src ${tessera}`, `frame-src https:`].join('; ');
  const server = http.createServer((req, res) => {
    const path = req.url.split('?')[0];
    if (PAGES[path]) {
      const policy = path === '/actions.html' ? csp.replace("script-src 'self'", "script-src 'self' 'unsafe-eval'") : csp;
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': policy });
      res.end(PAGES[path](tessera));
    } else if (path === '/host.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' }); res.end(HOST_JS);
    } else if (path === '/logo.png') {
      res.writeHead(200, { 'content-type': 'image/png' }); res.end(Buffer.from(LOGO, 'base64'));
    } else if (path === '/host.css') {
      res.writeHead(200, { 'content-type': 'text/css' }); res.end(HOST_CSS);
    } else {
      res.writeHead(404); res.end();
    }
  }).listen(0, '127.0.0.1');
  await new Promise(r => server.once('listening', r));
  return { origin: `http://127.0.0.1:${server.address().port}`, close: () => server.close() };
}
