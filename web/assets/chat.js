// One conversation: starts the bot (startChat), shows its messages with typing emulation, runs
// its client-side actions (an AI answer is streamed into a bubble: stream.js, loaded on first
// use), shows its input, sends answers (continueChat), keeps the progress bar and the theme,
// and remembers the session when the bot asks for it (rememberUser: the session and transcript
// are kept in session or local storage and resumed after a reload).
import { h, sleep, uid } from './dom.js';
import { continueChat, startChat } from './client.js';
import { bubbleContent, guestBubble } from './bubbles.js';
import { commonInput } from './inputs.js';
import { runAction } from './actions.js';
import { applyTheme, avatarUrl } from './theme.js';
import { plainText } from './richtext.js';

let rare;
const rareInputs = () => (rare ??= import('./inputs-more.js'));
let streaming;

export class Chat {
  constructor(root, el, opts, emit) {
    Object.assign(this, { root, el, opts, emit });
    this.progress = h('div', { class: 'progress', role: 'progressbar', 'aria-label': 'Progress', 'aria-valuemin': 0, 'aria-valuemax': 100, hidden: true }, h('div', { class: 'progress-fill' }));
    this.log = h('div', { class: 'log', role: 'log', 'aria-live': 'polite', 'aria-label': 'Conversation' });
    this.slot = h('div', { class: 'input-slot' });
    el.append(this.progress, this.log, this.slot);
    this.transcript = [];
    this.count = 0;
  }

  get storageKey() { return `tessera:${this.opts.apiHost}:${this.opts.bot}`; }

  storage() {
    const r = this.settings?.general?.rememberUser;
    if (!r?.isEnabled) return null;
    try { return r.storage === 'local' ? localStorage : sessionStorage; } catch { return null; }
  }

  save() {
    const s = this.storage();
    if (!s) return;
    const state = { sessionId: this.sessionId, resultId: this.resultId, theme: this.theme, settings: this.settings, dynamic: this.dynamic, transcript: this.transcript, input: this.input };
    try { s.setItem(this.storageKey, JSON.stringify(state)); } catch { /* full or denied */ }
  }

  restore() {
    for (const s of [sessionStorage, localStorage]) {
      try {
        const v = JSON.parse(s.getItem(this.storageKey) || 'null');
        if (v?.sessionId) return v;
      } catch { /* unreadable */ }
    }
    return null;
  }

  forget() {
    for (const s of [sessionStorage, localStorage]) try { s.removeItem(this.storageKey); } catch { /* denied */ }
  }

  prefilled() {
    const p = { ...(this.opts.prefilled || {}) };
    if (this.opts.userId) { p.user_id ??= this.opts.userId; p.userId ??= this.opts.userId; }
    return p;
  }

  async start() {
    const saved = this.restore();
    if (saved) {
      Object.assign(this, { sessionId: saved.sessionId, resultId: saved.resultId, theme: saved.theme, settings: saved.settings, dynamic: saved.dynamic });
      this.themeChanged();
      for (const t of saved.transcript || []) t.guest !== undefined ? this.showGuest(t.guest) : this.showMessage(t.message);
      if (saved.input) return this.showInput(saved.input);
      return;
    }
    this.typing(true);
    // The player streams AI answers itself (the `stream` action, see streamAnswer).
    const body = { prefilledVariables: this.prefilled(), isStreamEnabled: true };
    if (this.opts.format === 'markdown') body.textBubbleContentFormat = 'markdown';
    const r = await startChat(this.opts.apiHost, this.opts.bot, body, this.opts.userId, this.opts.userHash);
    this.typing(false);
    if (r.error) return this.fail(r.error);
    const d = r.data;
    Object.assign(this, { sessionId: d.sessionId, resultId: d.resultId, theme: d.typebot?.theme, settings: d.typebot?.settings || {} });
    this.themeChanged();
    this.emit('start', { bot: this.opts.bot, sessionId: this.sessionId, runId: d.runId, userId: d.userId });
    return this.play(d);
  }

  themeChanged() {
    applyTheme(this.root, this.el, this.theme, this.dynamic);
  }

  fail(message) {
    this.log.append(h('div', { class: 'row host' }, h('div', { class: 'bubble error', role: 'alert', text: message })));
  }

  typing(on) {
    this.typingEl?.remove();
    this.typingEl = null;
    if (on) this.log.append((this.typingEl = h('div', { class: 'row host typing', 'aria-label': 'The bot is typing' }, h('div', { class: 'bubble' }, h('span', { class: 'dots', 'aria-hidden': 'true' }, h('i'), h('i'), h('i'))))));
    this.scroll();
  }

  scroll() {
    requestAnimationFrame(() => { this.log.scrollTop = this.log.scrollHeight; });
  }

  delay(msg, first) {
    const t = this.settings?.typingEmulation || {};
    if (this.opts.typing === false || t.enabled === false || msg.type !== 'text') return 0;
    if (first && t.isDisabledOnFirstMessage !== false) return 0;
    const words = plainText(msg.content).split(/\s+/).filter(Boolean).length;
    const ms = (words / (Number(t.speed) || 400)) * 60000;
    return Math.min(ms, (Number(t.maxDelay) || 3) * 1000);
  }

  showMessage(msg) {
    const content = bubbleContent(msg);
    if (!content) return;
    const row = h('div', { class: `row host ${msg.type}`, 'data-id': msg.id || '' });
    const avatar = avatarUrl(this.theme, this.dynamic, 'host');
    row.append(avatar ? h('img', { class: 'avatar', src: avatar, alt: '' }) : h('span', { class: 'avatar-space' }));
    row.append(h('div', { class: 'bubble host-bubble' }, content));
    this.log.append(row);
    this.scroll();
    return row;
  }

  /** The `stream` action: the AI answer streamed into a bubble as it arrives; its text. */
  async streamAnswer() {
    const { streamAnswer } = await (streaming ??= import('./stream.js'));
    const msg = text => ({ type: 'text', content: { type: 'markdown', markdown: text } });
    let row = null;
    this.typing(true);
    const r = await streamAnswer(this.opts.apiHost, this.sessionId, text => {
      if (!row) { this.typing(false); row = this.showMessage(msg(text)); row?.setAttribute('aria-busy', 'true'); return; }
      row.lastChild.replaceChildren(bubbleContent(msg(text)));
      this.scroll();
    });
    this.typing(false);
    row?.removeAttribute('aria-busy');
    if (r.text) {
      this.transcript.push({ message: msg(r.text) });
      this.emit('message', { message: msg(r.text), bot: this.opts.bot });
    }
    if (r.error) this.fail(r.error);
    return r.text || null;
  }

  showGuest(text) {
    const avatar = avatarUrl(this.theme, this.dynamic, 'guest');
    this.log.append(guestBubble(text, avatar ? h('img', { class: 'avatar', src: avatar, alt: '' }) : null));
    this.scroll();
  }

  setProgress(p) {
    const enabled = this.theme?.general?.progressBar?.isEnabled;
    if (typeof p !== 'number' || !enabled) return;
    this.progress.hidden = false;
    this.progress.setAttribute('aria-valuenow', String(Math.round(p)));
    this.progress.firstChild.style.setProperty('width', `${Math.max(0, Math.min(100, p))}%`);
  }

  /** Shows a turn: actions, messages, then the input (or the end). */
  async play(d) {
    this.setProgress(d.progress);
    if (d.dynamicTheme) { this.dynamic = { ...this.dynamic, ...d.dynamicTheme }; this.themeChanged(); }
    if (d.lastMessageNewFormat) {
      const last = [...this.log.querySelectorAll('.guest-bubble')].pop();
      if (last) last.textContent = d.lastMessageNewFormat;
    }
    const actions = (d.clientSideActions || []).filter(a => a.type !== 'startPropsToInject');
    const after = id => actions.filter(a => (a.lastBubbleBlockId ?? null) === id);
    let reply;
    const runAll = async list => {
      for (const a of list) {
        const r = await runAction(a, { notice: m => this.fail(m), log: m => console.warn('[tessera]', m), stream: () => this.streamAnswer() });
        if (r.stop) return true;
        if ('reply' in r && reply === undefined) reply = r;
      }
      return false;
    };
    if (await runAll(after(null))) return;
    const between = Math.min(Number(this.settings?.typingEmulation?.delayBetweenBubbles) || 0, 5) * 1000;
    for (const [i, msg] of (d.messages || []).entries()) {
      if (i && between && this.opts.typing !== false) await sleep(between);
      const wait = this.delay(msg, this.count === 0);
      if (wait) { this.typing(true); await sleep(wait); this.typing(false); }
      this.count++;
      this.showMessage(msg);
      this.transcript.push({ message: msg });
      this.emit('message', { message: msg, bot: this.opts.bot });
      if (await runAll(after(msg.id))) return;
    }
    if (reply) { this.save(); return this.send(reply.reply); }
    this.input = d.input || null;
    this.save();
    if (d.input) return this.showInput(d.input);
    this.forget();
    this.emit('end', { bot: this.opts.bot, sessionId: this.sessionId });
  }

  async showInput(input) {
    this.input = input;
    const ctx = {
      submit: (message, shown) => this.send(message, shown ?? ''),
      prefillInputs: this.settings?.general?.isInputPrefillEnabled,
      apiHost: this.opts.apiHost, sessionId: this.sessionId,
      systemMessages: this.settings?.general?.systemMessages,
    };
    const made = commonInput(input, ctx) || (await (await rareInputs()).rareInput(input, ctx));
    made.el.id = uid('input');
    this.slot.replaceChildren(made.el);
    made.mounted?.();
    this.emit('input', { input });
    if (this.opts.autofocus !== false) made.focus();
    this.scroll();
  }

  /** Sends an answer (or an action's reply when `shown` is undefined). */
  async send(message, shown) {
    const input = this.input;
    this.slot.replaceChildren();
    this.input = null;
    if (shown !== undefined) {
      if (shown) { this.showGuest(shown); this.transcript.push({ guest: shown }); }
      this.emit('answer', { message: shown, blockId: input?.id, bot: this.opts.bot });
    }
    this.typing(true);
    const r = await continueChat(this.opts.apiHost, this.sessionId, message, this.opts.format === 'markdown' ? 'markdown' : undefined);
    this.typing(false);
    if (r.error) {
      this.fail(r.error);
      if (input && r.status !== 404) return this.showInput(input);
      // The session is gone (finished, expired): offer a new conversation.
      this.forget();
      const again = h('button', { class: 'send', type: 'button', onclick: () => this.reset() }, 'Restart');
      this.slot.replaceChildren(h('div', { class: 'actions' }, again));
      again.focus();
      return;
    }
    return this.play(r.data);
  }

  reset() {
    this.forget();
    this.log.replaceChildren();
    this.slot.replaceChildren();
    this.transcript = [];
    this.count = 0;
    this.sessionId = null;
    return this.start();
  }
}
