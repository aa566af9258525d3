// The bot's messages: text (rich text or Markdown), image, video, audio, embed. Each becomes
// one bubble element; media URLs are checked (http, https, blob; data: images, sounds and
// videos) and third-party frames are sandboxed.
import { h, mediaUrl, safeUrl } from './dom.js';
import { markdown, richText } from './richtext.js';

function text(content) {
  if (content?.type === 'markdown') return markdown(content.markdown);
  return richText(content?.richText);
}

function image(c) {
  const src = mediaUrl(c?.url);
  if (!src) return null;
  const img = h('img', { src, alt: c?.clickLink?.alt || 'Bubble image', loading: 'lazy', class: 'media' });
  const href = safeUrl(c?.clickLink?.url);
  return href ? h('a', { href, target: '_blank', rel: 'noopener noreferrer' }, img) : img;
}

const FRAMES = {
  youtube: (id, q) => `https://www.youtube-nocookie.com/embed/${encodeURIComponent(id)}${q ? `?${q}` : ''}`,
  vimeo: (id, q) => `https://player.vimeo.com/video/${encodeURIComponent(id)}${q ? `?${q}` : ''}`,
  tiktok: id => `https://www.tiktok.com/embed/v2/${encodeURIComponent(id)}`,
  gumlet: (id, q) => `https://play.gumlet.io/embed/${encodeURIComponent(id)}${q ? `?${q}` : ''}`,
};

function frame(src, title, height) {
  const f = h('iframe', {
    src, title, class: 'frame', loading: 'lazy', allowfullscreen: true,
    allow: 'autoplay; fullscreen; picture-in-picture; clipboard-write',
    sandbox: 'allow-scripts allow-same-origin allow-popups allow-forms allow-presentation',
    referrerpolicy: 'strict-origin-when-cross-origin',
  });
  if (height) f.style.setProperty('height', typeof height === 'number' ? `${height}px` : String(height));
  return f;
}

function video(c) {
  const make = FRAMES[c?.type];
  const q = typeof c?.queryParamsStr === 'string' ? c.queryParamsStr.replace(/^\?/, '') : '';
  let el;
  if (make && c.id) el = frame(make(c.id, q), 'Video', c.height ?? 400);
  else {
    const src = mediaUrl(c?.url, 'video');
    if (!src) return null;
    el = h('video', { src, controls: c?.areControlsDisplayed !== false, class: 'media', playsinline: true, preload: 'metadata' });
    el.muted = c?.isAutoplayEnabled !== false;
    el.autoplay = c?.isAutoplayEnabled !== false;
  }
  if (c?.aspectRatio && !make) el.style.setProperty('aspect-ratio', String(c.aspectRatio).replace(/[^0-9/. ]/g, ''));
  if (c?.maxWidth) el.style.setProperty('max-width', String(c.maxWidth).replace(/[^0-9a-z%.]/gi, ''));
  return el;
}

function audio(c) {
  const src = mediaUrl(c?.url, 'audio');
  if (!src) return null;
  return h('audio', { src, controls: true, class: 'media', preload: 'metadata', 'aria-label': 'Audio message' });
}

function embed(c) {
  const src = safeUrl(c?.url, ['https:', 'http:']);
  if (!src) return null;
  const height = Number(c?.height) > 0 ? Number(c.height) : 400;
  return frame(src, 'Embedded content', height);
}

/** The bubble content of a message, or null when there is nothing safe to show. */
export function bubbleContent(msg) {
  const c = msg?.content;
  switch (msg?.type) {
    case 'text': return text(c);
    case 'image': return image(c);
    case 'video': return video(c);
    case 'audio': return audio(c);
    case 'embed': return embed(c);
    default: return null; // custom-embed and unknown kinds run no code here
  }
}

/** The user's answer as a guest bubble (plain text only). */
export function guestBubble(answer, avatar) {
  const row = h('div', { class: 'row guest' }, h('div', { class: 'bubble guest-bubble', text: answer }));
  if (avatar) row.append(avatar);
  return row;
}
