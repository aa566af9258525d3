// DOM helpers shared by the player's modules. Nothing here parses HTML: every node is created
// with createElement and every text is set with textContent, so no variable or bot field can
// inject markup. URLs pass through safeUrl before they reach an href or a src.

/** h('button', {class: 'x', onclick: f, 'aria-label': 'Close'}, child, 'text') */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k in el && !k.includes('-') && k !== 'list' && typeof v !== 'string') el[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
  return el;
}

const LINK = ['http:', 'https:', 'mailto:', 'tel:'];
const MEDIA = ['http:', 'https:', 'blob:'];

/** The URL if its protocol is allowed (links: http, https, mailto, tel); otherwise null. */
export function safeUrl(url, protocols = LINK) {
  if (typeof url !== 'string' || !url.trim()) return null;
  try {
    const u = new URL(url.trim(), location.href);
    return protocols.includes(u.protocol) ? u.href : null;
  } catch {
    return null;
  }
}

const DATA = {
  image: /^data:image\/(png|gif|jpe?g|webp|svg\+xml);/i,
  audio: /^data:audio\/[\w.+-]+[;,]/i,
  video: /^data:video\/[\w.+-]+[;,]/i,
};

/**
 * A media URL (images, audio, video, frames): http(s), blob, or a data: URL of the given kind
 * ('image', the default, SVG too: an SVG shown by <img> runs no script and loads nothing;
 * 'audio'; 'video'; null: none). Media elements play data: sounds and videos without running
 * anything; the page CSP allows them in media-src.
 */
export function mediaUrl(url, kind = 'image') {
  if (DATA[kind]?.test(typeof url === 'string' ? url.trim() : '')) return url.trim();
  return safeUrl(url, MEDIA);
}

export const sleep = ms => new Promise(r => setTimeout(r, ms));

let seq = 0;
/** A unique id for aria-* references within a page. */
export const uid = p => `tessera-${p}-${++seq}`;

/** Sets CSS custom properties through the CSSOM (allowed under a strict CSP). */
export function setVars(el, vars) {
  for (const [k, v] of Object.entries(vars)) {
    if (v === undefined || v === null || v === '') el.style.removeProperty(k);
    else el.style.setProperty(k, String(v));
  }
}
