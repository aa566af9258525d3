// The three embeds, each rendered into an open shadow root: inline (in a container, or the
// whole page), popup (a modal dialog opened by the API or after a delay) and bubble (a floating
// button with an optional preview message, brand name and logo that opens a chat window).
// Keyboard: Escape closes popup and bubble, focus moves into the chat on open and back to
// where it was on close.
import { h, mediaUrl } from './dom.js';
import { Chat } from './chat.js';
import { baseSheet } from './theme.js';

const SVG = 'http://www.w3.org/2000/svg';
function icon(d) {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  const p = document.createElementNS(SVG, 'path');
  p.setAttribute('d', d);
  svg.append(p);
  return svg;
}
const CHAT_ICON = 'M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z';
const CLOSE_ICON = 'M6 6l12 12M18 6L6 18';

function header(opts, onClose) {
  const logo = mediaUrl(opts.logo);
  return h('div', { class: 'header' },
    logo ? h('img', { class: 'logo', src: logo, alt: '' }) : null,
    h('span', { class: 'brand', text: opts.brandName || opts.title || 'Chat' }),
    onClose ? h('button', { class: 'close', type: 'button', 'aria-label': 'Close chat', onclick: onClose }, icon(CLOSE_ICON)) : null);
}

export async function mount(opts, emit) {
  const mode = ['inline', 'full', 'popup', 'bubble'].includes(opts.mode) ? opts.mode : 'bubble';
  const host = opts.host || document.body.appendChild(h('div', { 'data-tessera': mode }));
  host.dataset.tessera ||= mode;
  const root = host.shadowRoot || host.attachShadow({ mode: 'open' });
  root.adoptedStyleSheets = [await baseSheet(opts.assets)];
  const frame = h('div', { class: `tessera ${mode}${opts.placement === 'left' ? ' left' : ''}` });
  root.replaceChildren(frame);
  let chat = null;
  let chatEl = null;
  let current = { ...opts };
  let lastFocus = null;
  const body = h('div', { class: 'body' });

  const begin = () => {
    chatEl?.remove();
    chatEl = h('div', { class: 'chat', role: 'region', 'aria-label': current.brandName || current.title || 'Chat' });
    body.append(chatEl);
    chat = new Chat(root, chatEl, current, (type, detail) => emit(type, detail, host));
    return chat.start();
  };
  const w = {
    mode, host, root,
    isOpen: mode === 'inline' || mode === 'full',
    open() {}, close() {}, toggle() { return w.isOpen ? w.close() : w.open(); },
    restart(next = {}) {
      current = { ...current };
      for (const [k, v] of Object.entries(next)) if (v !== undefined) current[k] = v;
      return begin();
    },
    setPrefilled(vars) { current.prefilled = { ...(current.prefilled || {}), ...vars }; },
    reset() { return chat ? chat.reset() : Promise.resolve(); },
    ensure() { return chat ? Promise.resolve() : begin(); },
  };

  if (mode === 'inline' || mode === 'full') {
    frame.append(body);
    // A closable inline chat (the seed's WorkflowChat onClose) tells its page with a close event.
    const onClose = opts.closable ? () => emit('close', { bot: current.bot }, host) : null;
    if (opts.brandName || opts.logo || onClose) frame.prepend(header(opts, onClose));
    await begin();
    return w;
  }

  const panel = h('div', { class: mode === 'popup' ? 'dialog' : 'panel', role: 'dialog', 'aria-modal': mode === 'popup' ? 'true' : 'false', 'aria-label': opts.brandName || opts.title || 'Chat' },
    header(opts, () => w.close()), body);
  const layer = mode === 'popup' ? h('div', { class: 'overlay', hidden: true }, panel) : panel;
  if (mode === 'bubble') layer.hidden = true;
  frame.append(layer);
  panel.addEventListener('keydown', e => {
    if (e.key === 'Escape') { e.stopPropagation(); w.close(); }
    if (e.key !== 'Tab' || mode !== 'popup') return;
    // A modal keeps the focus inside: Tab from the last control goes back to the first.
    const all = [...panel.querySelectorAll('button, input, textarea, select, a[href], iframe, [tabindex]:not([tabindex="-1"])')]
      .filter(x => !x.disabled && x.getClientRects().length);
    const [first, last] = [all[0], all[all.length - 1]];
    if (!first) return;
    if (e.shiftKey && root.activeElement === first) { e.preventDefault(); last.focus(); }
    else if (!e.shiftKey && root.activeElement === last) { e.preventDefault(); first.focus(); }
  });
  if (mode === 'popup') layer.addEventListener('click', e => { if (e.target === layer) w.close(); });

  let launcher = null;
  let preview = null;
  if (mode === 'bubble') {
    const logo = mediaUrl(opts.logo);
    launcher = h('button', { class: 'launcher', type: 'button', 'aria-label': `Open chat${opts.brandName ? ` with ${opts.brandName}` : ''}`, 'aria-expanded': 'false' },
      logo ? h('img', { src: logo, alt: '' }) : icon(CHAT_ICON));
    launcher.addEventListener('click', () => w.toggle());
    if (opts.previewMessage) {
      preview = h('div', { class: 'preview', hidden: true },
        h('button', { class: 'preview-text', type: 'button', onclick: () => w.open() }, opts.previewMessage),
        h('button', { class: 'preview-close', type: 'button', 'aria-label': 'Dismiss message', onclick: () => { preview.hidden = true; } }, icon(CLOSE_ICON)));
      setTimeout(() => { if (!w.isOpen) preview.hidden = false; }, Number(opts.previewDelay) || 0);
    }
    frame.append(...[preview, launcher].filter(Boolean));
  }

  w.open = async () => {
    if (w.isOpen) return;
    w.isOpen = true;
    lastFocus = document.activeElement;
    layer.hidden = false;
    if (preview) preview.hidden = true;
    launcher?.setAttribute('aria-expanded', 'true');
    emit('open', { bot: current.bot }, host);
    await w.ensure();
    (root.querySelector('.input-slot input, .input-slot textarea, .input-slot button') || panel.querySelector('.close'))?.focus();
  };
  w.close = () => {
    if (!w.isOpen) return;
    w.isOpen = false;
    layer.hidden = true;
    launcher?.setAttribute('aria-expanded', 'false');
    emit('close', { bot: current.bot }, host);
    (launcher || lastFocus)?.focus?.();
  };
  const delay = Number(opts.autoShowDelay);
  if (opts.bot && Number.isFinite(delay) && opts.autoShowDelay !== undefined && opts.autoShowDelay !== '') setTimeout(() => w.open(), delay);
  return w;
}
