// Rich text (Typebot's Plate/Slate JSON) and Markdown, rendered to DOM nodes without any HTML
// parsing. Links keep only http, https, mailto and tel URLs; anything else is shown as text.
import { h, safeUrl } from './dom.js';

const BLOCKS = { p: 'p', h1: 'h3', h2: 'h3', h3: 'h4', blockquote: 'blockquote', ol: 'ol', ul: 'ul', li: 'li', lic: 'span', code_block: 'pre' };

function leaf(node) {
  let el = document.createTextNode(typeof node.text === 'string' ? node.text : '');
  if (node.code) el = h('code', {}, el);
  if (node.bold) el = h('strong', {}, el);
  if (node.italic) el = h('em', {}, el);
  if (node.underline) el = h('u', {}, el);
  if (node.strikethrough) el = h('s', {}, el);
  return el;
}

function link(url, children) {
  const href = safeUrl(url);
  if (!href) return h('span', {}, children);
  return h('a', { href, target: '_blank', rel: 'noopener noreferrer' }, children);
}

function node(n) {
  if (!n || typeof n !== 'object') return null;
  if ('text' in n && !n.type) return leaf(n);
  const kids = Array.isArray(n.children) ? n.children.map(node) : [];
  if (n.type === 'a' || n.type === 'link') return link(n.url, kids);
  const tag = BLOCKS[n.type] || (n.type === 'variable' ? 'span' : 'span');
  return h(tag, {}, kids);
}

/** Rich text elements to a fragment; an empty paragraph is a line break. */
export function richText(elements) {
  const frag = document.createDocumentFragment();
  for (const el of Array.isArray(elements) ? elements : []) {
    const n = node(el);
    if (!n) continue;
    if (n.tagName === 'P' && !n.textContent) n.append(h('br'));
    frag.append(n);
  }
  return frag;
}

// Inline Markdown: **bold**, *italic* / _italic_, `code`, [text](url), autolinks; the rest is text.
const INLINE = /(\*\*([^*]+)\*\*|__([^_]+)__|\*([^*\s][^*]*)\*|_([^_\s][^_]*)_|`([^`]+)`|\[([^\]]+)\]\(([^)\s]+)\)|<(https?:\/\/[^>\s]+)>)/;

function inline(text) {
  const out = [];
  let rest = text;
  while (rest) {
    const m = INLINE.exec(rest);
    if (!m) { out.push(rest); break; }
    if (m.index) out.push(rest.slice(0, m.index));
    if (m[2] || m[3]) out.push(h('strong', {}, inline(m[2] || m[3])));
    else if (m[4] || m[5]) out.push(h('em', {}, inline(m[4] || m[5])));
    else if (m[6]) out.push(h('code', {}, m[6]));
    else if (m[7]) out.push(link(m[8], inline(m[7])));
    else if (m[9]) out.push(link(m[9], m[9]));
    rest = rest.slice(m.index + m[0].length);
  }
  return out;
}

/** Markdown (paragraphs, lists, headings, inline marks) to a fragment. */
export function markdown(text) {
  const frag = document.createDocumentFragment();
  let list = null;
  for (const raw of String(text ?? '').split('\n')) {
    const line = raw.trimEnd();
    const item = /^\s*(?:([-*+])|(\d+)[.)])\s+(.*)$/.exec(line);
    if (item) {
      const tag = item[1] ? 'ul' : 'ol';
      if (!list || list.tagName.toLowerCase() !== tag) frag.append((list = h(tag)));
      list.append(h('li', {}, inline(item[3])));
      continue;
    }
    list = null;
    const head = /^(#{1,6})\s+(.*)$/.exec(line);
    if (head) frag.append(h(head[1].length < 3 ? 'h3' : 'h4', {}, inline(head[2])));
    else frag.append(line ? h('p', {}, inline(line)) : h('p', {}, h('br')));
  }
  return frag;
}

/** The plain text of rich text (for typing-time estimates and accessible labels). */
export function plainText(content) {
  if (!content) return '';
  if (content.type === 'markdown') return String(content.markdown ?? '');
  const walk = n => (typeof n?.text === 'string' ? n.text : (n?.children || []).map(walk).join(' '));
  return (content.richText || []).map(walk).join(' ');
}
