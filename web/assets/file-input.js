// The file input, loaded the first time a bot shows one (from inputs-more.js). Typebot's
// semantics: one file is uploaded as soon as it is picked; with `isMultipleAllowed` the picked
// files are listed (each removable, "Clear" empties the list) and sent with the upload button;
// an optional input (`isRequired: false`) has a skip button while nothing is picked. Allowed
// types (`allowedFileTypes`) are checked when files are picked; the size limit when the
// upload URL is asked for with the file's size (the block's `sizeLimit` is the server's: like
// Typebot's, the input the player gets has none; checked here too when it has one), before
// any byte is sent, and answered with the bot's `fileUploadSizeError` message.
// Each file: POST /api/v3/generate-upload-url, then a PUT of its bytes to the presigned URL
// (Tessera itself unless the server keeps uploads in a bucket), with progress. The reply is the
// file URLs joined with ", " (as Typebot's player sends them); the guest bubble shows the
// success label. Nothing here parses HTML: the placeholder's few inline tags are rebuilt.
import { h, uid } from './dom.js';

const lbl = (o, k, d) => (typeof o?.labels?.[k] === 'string' && o.labels[k].trim()) || d;
const PLACEHOLDER = '<strong>Click to upload</strong> or drag and drop';
const SIZE_ERROR = '[[file]] is larger than [[limit]]MB';
const UPLOAD_ERROR = 'An error occured while uploading the files';
const NETWORK = 'Network error. Please check your internet connection and try again.';

const CSS = `.file-input .dropzone { display: flex; flex-direction: column; align-items: center; gap: 6px; width: 100%;
  padding: 18px 12px; border: 2px dashed #8c959f; border-radius: var(--t-radius, 10px);
  background: var(--t-input-bg, #f6f8fa); color: var(--t-input-fg, #1f2328); text-align: center; }
.file-input .dropzone svg { width: 24px; height: 24px; color: var(--t-placeholder, #57606a); }
.file-input .dropzone.over { border-color: var(--t-button-bg, #0b57d0); }
.file-input .dropzone:disabled { cursor: progress; }
.file-input .hint { font-size: 13px; color: var(--t-placeholder, #57606a); }
.file-list { list-style: none; margin: 0; padding: 0; display: flex; flex-direction: column; gap: 4px; }
.file-list li { display: flex; align-items: center; gap: 8px; justify-content: space-between;
  padding: 6px 10px; border: 1px solid #d0d7de; border-radius: 8px; background: #fff; color: #1f2328; }
.file-list .name { flex: 1; overflow-wrap: anywhere; }
.file-list button { background: transparent; border: 0; padding: 4px 8px; color: #57606a; border-radius: 6px; }
.file-input .actions { gap: 8px; }
.file-input .clear { background: transparent; color: var(--t-button-bg, #0b57d0); border: 1px solid currentColor; }
.upload-progress { height: 8px; border-radius: 4px; background: #e6e8eb; overflow: hidden; }
.upload-progress > div { height: 100%; width: 0; background: var(--t-button-bg, #0b57d0); transition: width .15s; }`;
let sheet;

/** Adds the file input's styles to the shadow root `el` is in (once). */
function adopt(el) {
  const root = el.getRootNode();
  if (!(root instanceof ShadowRoot)) return;
  if (!sheet) { sheet = new CSSStyleSheet(); sheet.replaceSync(CSS); }
  if (!root.adoptedStyleSheets.includes(sheet)) root.adoptedStyleSheets = [...root.adoptedStyleSheets, sheet];
}

const ENTITIES = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", apos: "'", nbsp: '\u00a0' };
const decode = s => s.replace(/&(amp|lt|gt|quot|#39|apos|nbsp);/g, (_, e) => ENTITIES[e]);

/** The placeholder's HTML as nodes: text, <strong>/<b>/<em>/<i>/<u> and <br>; other tags dropped. */
export function placeholderNodes(html) {
  const top = h('span', {});
  const stack = [top];
  const re = /<(\/?)([a-z0-9]+)[^>]*>/gi;
  let at = 0;
  for (let m; (m = re.exec(html));) {
    if (m.index > at) stack[stack.length - 1].append(decode(html.slice(at, m.index)));
    at = re.lastIndex;
    const tag = m[2].toLowerCase();
    if (tag === 'br') stack[stack.length - 1].append(h('br'));
    else if (['strong', 'b', 'em', 'i', 'u'].includes(tag)) {
      if (!m[1]) { const el = h(tag, {}); stack[stack.length - 1].append(el); stack.push(el); }
      else if (stack.length > 1) stack.pop();
    }
  }
  if (at < html.length) top.append(decode(html.slice(at)));
  return top;
}

const extOf = name => (name.includes('.') ? name.slice(name.lastIndexOf('.') + 1).toLowerCase() : '');

/** Whether `file` is of one of `types` (extensions with or without the dot, or media types). */
export function typeAllowed(file, types) {
  if (!types?.length) return true;
  const ext = extOf(file.name);
  return types.some(t => {
    const v = String(t).trim().toLowerCase();
    if (v === '*') return true;
    if (v.includes('/')) return v.endsWith('/*') ? (file.type || '').startsWith(v.slice(0, -1)) : file.type === v;
    return v.replace(/^\./, '') === ext;
  });
}

const SVG = 'http://www.w3.org/2000/svg';
/** The drop zone's upload icon (a cloud with an arrow), decorative. */
function uploadIcon() {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  for (const d of ['M16 16l-4-4-4 4', 'M12 12v9', 'M20.4 18.4A5 5 0 0 0 18 9h-1.3A8 8 0 1 0 3 16.3']) {
    const p = document.createElementNS(SVG, 'path');
    p.setAttribute('d', d);
    svg.append(p);
  }
  return svg;
}

const sizeText = n => (n < 1024 ? `${n} B` : n < 1048576 ? `${(n / 1024).toFixed(1)} KB` : `${(n / 1048576).toFixed(1)} MB`);
/** The URL with its file name encoded, as Typebot's player sends it. */
const encodeUrl = url => { const i = url.lastIndexOf('/'); return url.slice(0, i + 1) + encodeURIComponent(url.slice(i + 1)); };

async function uploadUrl(ctx, blockId, file) {
  let res;
  const body = { sessionId: ctx.sessionId, blockId, fileName: file.name, fileType: file.type || 'application/octet-stream', fileSize: file.size };
  try {
    res = await fetch(`${ctx.apiHost}/api/v3/generate-upload-url`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  } catch {
    return { error: NETWORK };
  }
  let json = null;
  try { json = await res.json(); } catch { /* not JSON */ }
  return res.ok && json?.presignedUrl ? { data: json } : { error: json?.message || `Error ${res.status}`, code: json?.code };
}

/** PUTs the file to the presigned URL; onProgress(bytes sent). */
function put(url, file, type, onProgress) {
  return new Promise(resolve => {
    const x = new XMLHttpRequest();
    x.open('PUT', url);
    x.setRequestHeader('content-type', type);
    x.upload.onprogress = e => onProgress(e.loaded);
    x.onload = () => {
      if (x.status >= 200 && x.status < 300) return resolve({});
      let m;
      try { m = JSON.parse(x.responseText).message; } catch { /* not JSON */ }
      resolve({ error: m || `Error ${x.status}` });
    };
    x.onerror = () => resolve({ error: NETWORK });
    x.send(file);
  });
}

export function fileInput(input, ctx) {
  const o = input.options || {};
  const multiple = !!o.isMultipleAllowed;
  const types = o.allowedFileTypes?.isEnabled && Array.isArray(o.allowedFileTypes.types) ? o.allowedFileTypes.types.filter(t => typeof t === 'string' && t.trim()) : [];
  const limit = Number(o.sizeLimit) > 0 ? Number(o.sizeLimit) : null;
  const sys = ctx.systemMessages || {};
  const sizeError = (file, mb) => (sys.fileUploadSizeError || SIZE_ERROR).replaceAll('[[file]]', file.name).replaceAll('[[limit]]', String(mb));
  const success = typeof o.labels?.success === 'object' ? o.labels.success : {};
  let picked = [];
  let busy = false;

  const field = h('input', {
    type: 'file', hidden: true, tabindex: -1, 'aria-hidden': 'true', multiple,
    accept: types.length ? types.map(t => (t.includes('/') || t.startsWith('.') ? t : `.${t}`)).join(', ') : undefined,
    capture: typeof o.capture === 'string' && o.capture ? o.capture : undefined,
  });
  const hintParts = [];
  if (types.length) hintParts.push(`Accepted: ${types.map(t => (t.includes('/') || t.startsWith('.') ? t : `.${t}`)).join(', ')}`);
  if (limit) hintParts.push(`up to ${limit} MB`);
  const hint = h('span', { class: 'hint', id: uid('hint'), text: hintParts.join(' · ') });
  const error = h('p', { class: 'input-error', id: uid('err'), role: 'alert' });
  const zone = h('button', {
    class: 'dropzone', type: 'button', 'aria-describedby': hintParts.length ? `${hint.id} ${error.id}` : error.id,
    onclick: () => field.click(),
  }, uploadIcon(), placeholderNodes(lbl(o, 'placeholder', PLACEHOLDER)), hintParts.length ? hint : null);
  const list = h('ul', { class: 'file-list', 'aria-label': 'Selected files', hidden: true });
  const bar = h('div', { class: 'upload-progress', role: 'progressbar', 'aria-label': 'Upload progress', 'aria-valuemin': 0, 'aria-valuemax': 100, 'aria-valuenow': 0, hidden: true }, h('div'));
  const status = h('p', { class: 'note', role: 'status' });
  const skip = o.isRequired === false ? h('button', { class: 'send', type: 'button', onclick: () => ctx.submit(null, lbl(o, 'skip', 'Skip')) }, lbl(o, 'skip', 'Skip')) : null;
  const clear = h('button', { class: 'send clear', type: 'button', onclick: () => { picked = []; render(); zone.focus(); } }, lbl(o, 'clear', 'Clear'));
  const send = h('button', { class: 'send upload', type: 'button', onclick: () => upload(picked) });
  const actions = h('div', { class: 'actions' }, skip, multiple ? clear : null, multiple ? send : null);

  function render() {
    list.replaceChildren(...picked.map((f, i) => h('li', {},
      h('span', { class: 'name', text: f.name }), h('span', { class: 'hint', text: sizeText(f.size) }),
      h('button', { type: 'button', 'aria-label': `Remove ${f.name}`, disabled: busy, onclick: () => { picked.splice(i, 1); render(); zone.focus(); } }, '✕'))));
    list.hidden = !picked.length;
    const label = lbl(o, 'button', 'Upload');
    send.textContent = label === 'Upload' ? `Upload ${picked.length} file${picked.length > 1 ? 's' : ''}` : label;
    if (skip) skip.hidden = picked.length > 0 || busy;
    clear.hidden = send.hidden = !picked.length || busy;
    actions.hidden = !((skip && !skip.hidden) || (multiple && !send.hidden));
    zone.disabled = busy;
  }

  function progress(pct, text) {
    bar.hidden = pct === null;
    bar.setAttribute('aria-valuenow', String(Math.round(pct || 0)));
    bar.firstChild.style.setProperty('width', `${Math.max(0, Math.min(100, pct || 0))}%`);
    status.textContent = text || '';
  }

  /** Checks the new files; the ones kept (renamed when a picked file has the same name). */
  function accept(files) {
    error.textContent = '';
    const kept = [];
    for (const f of files) {
      if (!typeAllowed(f, types)) { error.textContent = `${f.name}: this type of file is not allowed.`; continue; }
      if (limit && f.size > limit * 1024 * 1024) { error.textContent = sizeError(f, limit); continue; }
      const taken = n => [...picked, ...kept].some(p => p.name === n);
      let name = f.name;
      for (let n = 1; taken(name); n++) {
        const dot = f.name.lastIndexOf('.');
        name = dot > 0 ? `${f.name.slice(0, dot)}(${n})${f.name.slice(dot)}` : `${f.name}(${n})`;
      }
      kept.push(name === f.name ? f : new File([f], name, { type: f.type }));
    }
    return kept;
  }

  function add(files) {
    if (busy) return;
    const kept = accept([...files]);
    field.value = '';
    if (!kept.length) return;
    if (!multiple) return upload(kept.slice(0, 1));
    picked = [...picked, ...kept];
    render();
    send.focus();
  }

  async function upload(files) {
    if (!files.length || busy) return;
    busy = true;
    error.textContent = '';
    render();
    const total = files.reduce((n, f) => n + f.size, 0) || 1;
    let done = 0;
    const urls = [];
    for (const [i, f] of files.entries()) {
      const what = files.length > 1 ? `Uploading ${f.name} (${i + 1} of ${files.length})` : `Uploading ${f.name}`;
      progress((done / total) * 100, `${what}…`);
      const r = await uploadUrl(ctx, input.id, f);
      const p = r.error ? r : await put(r.data.presignedUrl, f, r.data.fileType || f.type || 'application/octet-stream', sent => progress(((done + sent) / total) * 100, `${what}…`));
      if (p.error) {
        busy = false;
        progress(null);
        const mb = r.code === 'file_too_large' && (r.data?.maxFileSize ?? Number(/([\d.]+)\s*MB/i.exec(r.error)?.[1]));
        error.textContent = mb ? sizeError(f, mb) : r.code === 'file_type_not_allowed' ? r.error : (sys.fileUploadError || UPLOAD_ERROR);
        render();
        zone.focus();
        return;
      }
      done += f.size;
      urls.push(encodeUrl(r.data.fileUrl));
    }
    const shown = urls.length > 1
      ? (typeof success.multiple === 'string' && success.multiple.trim() ? success.multiple : '{total} files uploaded').replaceAll('{total}', String(urls.length))
      : (typeof success.single === 'string' && success.single.trim() ? success.single : 'File uploaded');
    ctx.submit(urls.join(', '), shown);
  }

  field.addEventListener('change', () => add(field.files || []));
  zone.addEventListener('dragover', e => { e.preventDefault(); zone.classList.add('over'); });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', e => { e.preventDefault(); zone.classList.remove('over'); add(e.dataTransfer?.files || []); });
  const el = h('div', { class: 'input file-input' }, field, zone, list, bar, status, error, actions);
  render();
  return { el, focus: () => { adopt(el); zone.focus(); }, mounted: () => adopt(el) };
}
