// The rarer inputs, loaded the first time a bot shows one: date (and range, with time), time,
// rating (numbers or icons), picture choice, cards, and payment (not available in this
// player). The file input is its own module (file-input.js), loaded when a bot first shows one.
import { h, mediaUrl } from './dom.js';
import { choiceInput } from './inputs.js';

const lbl = (o, k, d) => (typeof o?.labels?.[k] === 'string' && o.labels[k].trim()) || d;

function sendRow(label, onclick) {
  return h('div', { class: 'actions' }, h('button', { class: 'send', type: 'button', onclick }, label));
}

function dateInput(input, ctx) {
  const o = input.options || {};
  const type = o.hasTime ? 'datetime-local' : 'date';
  const field = name => {
    const f = h('input', { class: 'field', type, 'aria-label': name });
    for (const k of ['min', 'max']) if (typeof o[k] === 'string' && o[k]) f.setAttribute(k, o[k]);
    return f;
  };
  const from = field(o.isRange ? lbl(o, 'from', 'From:') : 'Date');
  const to = o.isRange ? field(lbl(o, 'to', 'To:')) : null;
  const err = h('p', { class: 'input-error', role: 'alert' });
  const send = () => {
    if (!from.value || (to && !to.value)) { err.textContent = 'Please pick a date.'; return; }
    const text = to ? `${from.value} ${lbl(o, 'separator', 'to')} ${to.value}` : from.value;
    ctx.submit(text.replace(/T/g, ' '), text.replace(/T/g, ' '));
  };
  const fields = to
    ? [h('label', {}, lbl(o, 'from', 'From:'), from), h('label', {}, lbl(o, 'to', 'To:'), to)]
    : [from];
  return { el: h('div', { class: 'input date-input' }, fields, sendRow(lbl(o, 'button', 'Send'), send), err), focus: () => from.focus() };
}

function timeInput(input, ctx) {
  const o = input.options || {};
  const f = h('input', { class: 'field', type: 'time', 'aria-label': 'Time' });
  const send = () => f.value && ctx.submit(f.value, f.value);
  f.addEventListener('keydown', e => { if (e.key === 'Enter') send(); });
  return { el: h('div', { class: 'input time-input' }, f, sendRow(lbl(o, 'button', 'Send'), send)), focus: () => f.focus() };
}

function ratingInput(input, ctx) {
  const o = input.options || {};
  const start = Number.isFinite(Number(o.startsAt)) ? Number(o.startsAt) : 0;
  const length = Number(o.length) > 0 ? Math.min(Number(o.length), 20) : 10;
  const icons = o.buttonType === 'Icons';
  const first = icons ? 1 : start;
  const group = h('div', { class: `rating${icons ? ' icons' : ''}`, role: 'radiogroup', 'aria-label': 'Rating' });
  let picked = null;
  const buttons = [];
  const submit = v => ctx.submit(String(v), String(v));
  for (let v = first; v <= length; v++) {
    const b = h('button', {
      class: 'choice rate', type: 'button', role: 'radio', 'aria-checked': 'false',
      'aria-label': String(v), 'data-value': String(v),
    }, icons ? '★' : String(v));
    b.addEventListener('click', () => {
      picked = v;
      buttons.forEach((x, i) => {
        x.setAttribute('aria-checked', String(first + i === v));
        x.classList.toggle('on', icons ? first + i <= v : first + i === v);
      });
      if (o.isOneClickSubmitEnabled || !icons) submit(v);
    });
    buttons.push(b);
    group.append(b);
  }
  const parts = [group];
  if (o.labels?.left || o.labels?.right) {
    parts.push(h('div', { class: 'rating-labels' }, h('span', { text: o.labels.left || '' }), h('span', { text: o.labels.right || '' })));
  }
  if (icons && !o.isOneClickSubmitEnabled) parts.push(sendRow(lbl(o, 'button', 'Send'), () => picked !== null && submit(picked)));
  return { el: h('div', { class: 'input rating-input' }, parts), focus: () => buttons[0]?.focus() };
}

let files;
const fileInput = async (input, ctx) => (await (files ??= import('./file-input.js'))).fileInput(input, ctx);

function picture(item) {
  const src = mediaUrl(item.pictureSrc);
  return [
    src ? h('img', { src, alt: item.title ? '' : (item.description || 'Picture'), class: 'picture', loading: 'lazy' }) : null,
    item.title ? h('span', { class: 'title', text: item.title }) : null,
    item.description ? h('span', { class: 'description', text: item.description }) : null,
  ];
}

function pictureInput(input, ctx) {
  const items = (input.items || []).map(i => ({ ...i, content: i.title || i.pictureSrc || '' }));
  const r = choiceInput({ ...input, items }, ctx, item => h('span', { class: 'picture-choice' }, picture(item)));
  r.el.classList.add('pictures');
  return r;
}

function cardsInput(input, ctx) {
  const cards = (input.items || []).map(item => {
    const src = mediaUrl(item.imageUrl);
    const paths = (item.paths || []).map(p => h('button', {
      class: 'choice', type: 'button',
      onclick: () => ctx.submit({ type: 'text', text: p.text || item.title || '', metadata: { replyId: p.id } }, item.title || p.text || ''),
    }, p.text || 'Select'));
    return h('article', { class: 'card', 'aria-label': item.title || 'Card' },
      src ? h('img', { src, alt: item.title || '', loading: 'lazy' }) : null,
      item.title ? h('h4', { text: item.title }) : null,
      item.description ? h('p', { text: item.description }) : null,
      h('div', { class: 'card-paths' }, paths));
  });
  const el = h('div', { class: 'input cards' }, cards);
  return { el, focus: () => el.querySelector('button')?.focus() };
}

function unsupported(text) {
  return () => ({ el: h('div', { class: 'input' }, h('p', { class: 'note', text })), focus: () => {} });
}

const RARE = {
  'date input': dateInput,
  'time input': timeInput,
  'rating input': ratingInput,
  'file input': fileInput,
  'picture choice input': pictureInput,
  cards: cardsInput,
  'payment input': unsupported('Payments are not available in this player.'),
};

/** The input element (a promise of it for the file input). */
export function rareInput(input, ctx) {
  return (RARE[input?.type] || unsupported('This input is not supported by this player.'))(input, ctx);
}
