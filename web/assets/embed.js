// Tessera's embed script: the one <script src=".../embed.js"> a page needs. It defines
// window.Tessera at once (open, close, toggle, startWorkflow, setPrefilledVariables, reset, on,
// off, init) and the <tessera-chat> element; the player itself (widget.js and the modules it
// imports) is loaded on first use from the same server. Options come from the script tag's
// data-* attributes or from Tessera.init({...}):
//   bot, mode (bubble | popup | inline), apiHost (default: the script's origin), userId,
//   userHash (the HMAC of the user id made by the site's backend, when the server checks it),
//   prefilled (JSON object), context (JSON object, merged into prefilled), target (CSS selector
//   for inline), brandName, logo, previewMessage, previewDelay, autoShowDelay, placement, typing,
//   format (markdown: ask the server for Markdown bubbles instead of rich text).
(() => {
  'use strict';
  if (window.Tessera?.version) return; // loaded twice
  const script = document.currentScript;
  const src = script?.src || new URL('/embed.js', location.href).href;
  const assets = new URL('./_tessera/', src).href;
  const origin = new URL(src).origin;
  const json = v => {
    if (!v) return undefined;
    if (typeof v === 'object') return v;
    try { const o = JSON.parse(v); return o && typeof o === 'object' && !Array.isArray(o) ? o : undefined; } catch { return undefined; }
  };
  const fromData = ds => {
    const o = {};
    for (const [k, v] of Object.entries(ds || {})) o[k] = v;
    o.prefilled = { ...json(o.prefilled), ...json(o.context) };
    delete o.context;
    if (o.typing === 'off' || o.typing === 'false') o.typing = false;
    return o;
  };
  const defaults = fromData(script?.dataset);
  const listeners = new Map();
  const emit = (type, detail, host) => {
    for (const f of listeners.get(type) || []) { try { f(detail); } catch (e) { console.error(e); } }
    host?.dispatchEvent(new CustomEvent(`tessera:${type}`, { detail, bubbles: true, composed: true }));
  };
  let player;
  const load = () => (player ??= import(`${assets}widget.js`));
  const normalize = o => ({ ...o, assets, apiHost: String(o.apiHost || origin).replace(/\/+$/, '') });
  const mount = o => load().then(m => m.mount(normalize(o), emit));

  // The page's default widget: the one the script tag describes (a bubble unless told
  // otherwise), created on first use or at once when the tag names a bot.
  let main = null;
  const mainWidget = extra => {
    if (!main) {
      const o = { ...defaults, ...extra };
      if (o.mode === 'inline' || o.target) {
        const host = o.target ? document.querySelector(o.target) : null;
        o.host = host || undefined;
        o.mode = host ? 'inline' : 'popup';
      }
      main = mount(o);
    }
    return main;
  };

  const Tessera = {
    version: '1',
    /** A new widget (inline into opts.host or opts.target, popup or bubble); resolves to it. */
    init(opts = {}) {
      const o = { ...opts };
      if (o.target && !o.host) o.host = document.querySelector(o.target) || undefined;
      o.prefilled = { ...json(o.prefilled), ...json(o.context) };
      return mount(o);
    },
    open: () => mainWidget().then(w => w.open()),
    close: () => main?.then(w => w.close()),
    toggle: () => mainWidget().then(w => w.toggle()),
    /** Opens the page's widget on workflow `name` (a bot public id), context as variables. */
    startWorkflow(name, { context, userId, userHash } = {}) {
      const next = { bot: String(name), prefilled: { ...defaults.prefilled, ...json(context) } };
      if (userId) next.userId = String(userId);
      if (userHash) next.userHash = String(userHash);
      const fresh = !main;
      return mainWidget(next).then(async w => {
        if (!fresh) await w.restart(next);
        await w.open();
        return w;
      });
    },
    setPrefilledVariables(vars) {
      Object.assign(defaults.prefilled, json(vars));
      main?.then(w => w.setPrefilled(json(vars) || {}));
    },
    reset: () => main?.then(w => w.reset()),
    on(type, f) { if (!listeners.has(type)) listeners.set(type, new Set()); listeners.get(type).add(f); return () => Tessera.off(type, f); },
    off(type, f) { listeners.get(type)?.delete(f); },
  };
  window.Tessera = Tessera;

  // <tessera-chat workflow="..." user-id="..." initial-context='{...}'>: the chat inline, in the
  // element's own shadow root. mode="full" fills the page (the bot pages of the server).
  class TesseraChat extends HTMLElement {
    static get observedAttributes() { return ['workflow', 'bot', 'user-id', 'user-hash', 'initial-context', 'prefilled']; }

    options() {
      const a = n => this.getAttribute(n) ?? undefined;
      return {
        bot: a('workflow') || a('bot'), mode: a('mode') === 'full' ? 'full' : 'inline', host: this,
        apiHost: a('api-host'), userId: a('user-id'), userHash: a('user-hash'), brandName: a('brand-name'), logo: a('logo'),
        prefilled: { ...json(a('prefilled')), ...json(a('initial-context')) },
        typing: a('typing') === 'off' ? false : undefined, closable: this.hasAttribute('closable'),
        format: a('format'),
      };
    }

    connectedCallback() {
      if (this.widget) return;
      const o = this.options();
      if (!o.bot) return;
      this.widget = mount(o);
      if (this.hasAttribute('hide-query') && history.replaceState) {
        history.replaceState(history.state, '', location.pathname + location.hash);
      }
    }
    // A route page that changes the workflow or its context starts the new conversation.
    attributeChangedCallback(_name, old, value) {
      if (this.widget && old !== value) this.widget.then(w => w.restart(normalize(this.options())));
    }

    reset() { return this.widget?.then(w => w.reset()); }
  }
  if (!customElements.get('tessera-chat')) customElements.define('tessera-chat', TesseraChat);
  if (defaults.bot) {
    const go = () => mainWidget();
    if (document.body) go(); else document.addEventListener('DOMContentLoaded', go);
  }
})();
