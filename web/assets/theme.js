// Styles of the shadow root: the player's own stylesheet (player.css, fetched once per page and
// shared by every widget as a constructed stylesheet) and the bot's theme as CSS custom
// properties, plus its custom CSS in a sheet of its own. Constructed sheets and CSSOM writes
// work under a CSP without 'unsafe-inline'. Fonts are never fetched: a theme's font family is
// used when the visitor's system has it, else the system UI font.
import { mediaUrl, setVars } from './dom.js';

let base;
/** The player's stylesheet, shared. */
export function baseSheet(assets) {
  base ??= fetch(`${assets}player.css`).then(r => r.text()).then(css => {
    const s = new CSSStyleSheet();
    s.replaceSync(css);
    return s;
  });
  return base;
}

const RADIUS = { none: '0px', medium: '8px', large: '20px' };
const color = v => (typeof v === 'string' && /^[#\w\s(),.%-]{1,64}$/.test(v) ? v : undefined);

function fontFamily(font) {
  const family = typeof font === 'string' ? font : font?.family;
  if (typeof family !== 'string' || !/^[\w\s-]{1,64}$/.test(family)) return undefined;
  return `"${family}", system-ui, -apple-system, "Segoe UI", Roboto, sans-serif`;
}

/** Applies a Typebot theme to the chat element and the shadow root. */
export function applyTheme(root, el, theme, dynamic) {
  const g = theme?.general || {};
  const c = theme?.chat || {};
  const bg = g.background || {};
  const image = dynamic?.backgroundUrl || (bg.type === 'Image' ? bg.content : undefined);
  const imageUrl = mediaUrl(image, null);
  setVars(el, {
    '--t-font': fontFamily(g.font),
    '--t-bg': bg.type === 'Color' ? color(bg.content) : bg.type === 'None' ? 'transparent' : undefined,
    '--t-bg-image': imageUrl ? `url(${JSON.stringify(imageUrl)})` : undefined,
    '--t-host-bg': color(c.hostBubbles?.backgroundColor),
    '--t-host-fg': color(c.hostBubbles?.color),
    '--t-guest-bg': color(c.guestBubbles?.backgroundColor),
    '--t-guest-fg': color(c.guestBubbles?.color),
    '--t-button-bg': color(c.buttons?.backgroundColor),
    '--t-button-fg': color(c.buttons?.color),
    '--t-input-bg': color(c.inputs?.backgroundColor),
    '--t-input-fg': color(c.inputs?.color),
    '--t-placeholder': color(c.inputs?.placeholderColor),
    '--t-container-bg': color(c.container?.backgroundColor),
    '--t-container-fg': color(c.container?.color),
    '--t-radius': RADIUS[c.roundness] || (typeof c.roundness === 'number' ? `${c.roundness}px` : undefined),
    '--t-progress': color(g.progressBar?.color),
    '--t-progress-bg': color(g.progressBar?.backgroundColor),
  });
  if (typeof theme?.customCss === 'string' && theme.customCss.trim()) {
    const sheet = new CSSStyleSheet();
    try { sheet.replaceSync(theme.customCss); } catch { /* invalid CSS is ignored */ }
    root.adoptedStyleSheets = [...root.adoptedStyleSheets.filter(s => !s.tesseraCustom), Object.assign(sheet, { tesseraCustom: true })];
  }
}

/** The avatar URL for the host or guest, or null (theme, then dynamic theme). */
export function avatarUrl(theme, dynamic, who) {
  const a = theme?.chat?.[`${who}Avatar`];
  const enabled = who === 'host' ? a?.isEnabled !== false : a?.isEnabled === true;
  if (!enabled) return null;
  return mediaUrl(dynamic?.[`${who}AvatarUrl`] || a?.url) || null;
}
