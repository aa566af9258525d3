// The common inputs: text (short and long), email, number, URL, phone, and choices (single,
// multiple, searchable). Rarer ones (date, time, rating, file, pictures, cards, payment) are in
// inputs-more.js, imported the first time a bot asks for one. Each input calls
// ctx.submit(message, shownAnswer); the server validates and answers with a retry message when
// the answer is invalid.
import { h, uid } from './dom.js';

const TEXT_TYPES = {
  'text input': { type: 'text', placeholder: 'Type your answer...' },
  'email input': { type: 'email', placeholder: 'Type your email...', inputmode: 'email', autocomplete: 'email' },
  'number input': { type: 'number', placeholder: 'Type a number...', inputmode: 'decimal' },
  'url input': { type: 'url', placeholder: 'Type a URL...', inputmode: 'url', autocomplete: 'url' },
  'phone number input': { type: 'tel', placeholder: 'Type your phone number...', inputmode: 'tel', autocomplete: 'tel' },
};

const label = (o, key, dflt) => (typeof o?.labels?.[key] === 'string' && o.labels[key].trim()) || dflt;

function textInput(input, ctx) {
  const spec = TEXT_TYPES[input.type];
  const o = input.options || {};
  const long = input.type === 'text input' && o.isLong;
  const placeholder = label(o, 'placeholder', spec.placeholder);
  const field = long
    ? h('textarea', { class: 'field', rows: 3, placeholder, 'aria-label': placeholder })
    : h('input', {
      class: 'field', type: spec.type, placeholder, 'aria-label': placeholder,
      inputmode: o.inputMode || spec.inputmode, autocomplete: spec.autocomplete || 'off', enterkeyhint: 'send',
    });
  if (input.type === 'number input') {
    for (const k of ['min', 'max', 'step']) if (o[k] !== undefined && o[k] !== '' && !isNaN(Number(o[k]))) field.setAttribute(k, o[k]);
    if (!o.step) field.setAttribute('step', 'any');
  }
  if (typeof input.prefilledValue === 'string' && ctx.prefillInputs) field.value = input.prefilledValue;
  const error = h('p', { class: 'input-error', id: uid('err'), role: 'alert' });
  field.setAttribute('aria-describedby', error.id);
  const send = () => {
    const value = field.value.trim();
    if (!value) { error.textContent = 'Please enter an answer.'; field.setAttribute('aria-invalid', 'true'); return; }
    if (field.validity && !field.validity.valid && input.type === 'number input') {
      error.textContent = field.validationMessage; field.setAttribute('aria-invalid', 'true'); return;
    }
    ctx.submit(value, value);
  };
  field.addEventListener('keydown', e => {
    if (e.key === 'Enter' && !(long && e.shiftKey) && !e.isComposing) { e.preventDefault(); send(); }
  });
  field.addEventListener('input', () => { error.textContent = ''; field.removeAttribute('aria-invalid'); });
  const form = h('div', { class: 'input text-input' }, field,
    h('button', { class: 'send', type: 'button', onclick: send }, label(o, 'button', 'Send')));
  return { el: h('div', {}, form, error), focus: () => field.focus() };
}

/** Choice items as buttons (single) or checkboxes plus a send button (multiple), searchable. */
export function choiceInput(input, ctx, renderItem) {
  const o = input.options || {};
  const items = Array.isArray(input.items) ? input.items : [];
  const multiple = !!o.isMultipleChoice;
  const list = h('div', { class: `choices${o.buttonsLayout === 'vertical' ? ' vertical' : ''}`, role: multiple ? 'group' : 'list', 'aria-label': 'Choices' });
  const chosen = new Set();
  const entries = items.map(item => {
    const content = renderItem ? renderItem(item) : String(item.content ?? '');
    const title = typeof content === 'string' ? content : (item.title ?? item.content ?? '');
    const btn = h('button', { class: 'choice', type: 'button', 'data-id': item.id }, content);
    if (multiple) {
      btn.setAttribute('aria-pressed', 'false');
      btn.addEventListener('click', () => {
        const on = !chosen.has(item);
        if (on) chosen.add(item); else chosen.delete(item);
        btn.setAttribute('aria-pressed', String(on));
        sendBtn.disabled = chosen.size === 0;
      });
    } else {
      btn.addEventListener('click', () => ctx.submit({ type: 'text', text: String(title), metadata: { replyId: item.id } }, String(title)));
    }
    const wrap = multiple ? btn : h('div', { role: 'listitem', class: 'choice-item' }, btn);
    list.append(wrap);
    return { item, title: String(title), wrap };
  });
  const sendBtn = h('button', { class: 'send', type: 'button', disabled: true }, o.buttonLabel || 'Send');
  sendBtn.addEventListener('click', () => {
    const picked = entries.filter(e => chosen.has(e.item)).map(e => e.title);
    if (picked.length) ctx.submit(picked.join(', '), picked.join(', '));
  });
  const parts = [];
  let search;
  if (o.isSearchable) {
    const placeholder = o.searchInputPlaceholder || 'Filter the options...';
    search = h('input', { class: 'field search', type: 'search', placeholder, 'aria-label': placeholder });
    search.addEventListener('input', () => {
      const q = search.value.trim().toLowerCase();
      for (const e of entries) e.wrap.hidden = !!q && !e.title.toLowerCase().includes(q);
    });
    if (o.areInitialSearchButtonsVisible === false) {
      for (const e of entries) e.wrap.hidden = true;
      search.addEventListener('input', () => { if (!search.value.trim()) for (const e of entries) e.wrap.hidden = true; });
    }
    parts.push(search);
  }
  parts.push(list);
  if (multiple) parts.push(h('div', { class: 'actions' }, sendBtn));
  const first = () => (search || list.querySelector('button:not([hidden])'))?.focus();
  return { el: h('div', { class: 'input choice-input' }, parts), focus: first };
}

/** The input element for `input`, or null when inputs-more.js must render it. */
export function commonInput(input, ctx) {
  if (TEXT_TYPES[input?.type]) return textInput(input, ctx);
  if (input?.type === 'choice input') return choiceInput(input, ctx);
  return null;
}
