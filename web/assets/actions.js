// Client-side actions of a turn: redirect (http and https only), wait, set variable, the bot
// author's scripts, HTTP requests asked by the bot, streamed AI answers (through env.stream). Scripts run through the Function
// constructor: on a page whose CSP forbids eval (Tessera's own pages) they are skipped and the
// set-variable answer falls back to the script's text, as Typebot's player does on error.
// Trackers (Google Analytics, pixels, GTM, Chatwoot, head code) are never loaded: the player
// requests nothing from other hosts.
import { safeUrl, sleep } from './dom.js';

function run(script) {
  const args = Array.isArray(script?.args) ? script.args : [];
  const names = args.map(a => String(a.id).replace(/[^\w$]/g, '_'));
  let body = String(script?.content ?? '');
  // eslint-disable-next-line no-new-func
  const fn = new Function(...names, `return (async () => { ${body} })()`);
  return fn(...args.map(a => a.value));
}

async function setVariable(script) {
  let content = String(script?.content ?? '');
  try {
    if (!/\breturn\b/.test(content)) content = `return ${content}`;
    const v = await run({ ...script, content });
    return typeof v === 'string' ? v : JSON.stringify(v ?? null);
  } catch {
    return String(script?.content ?? '');
  }
}

/**
 * Runs one action; resolves to {reply} when the server waits for an answer to it,
 * {stop: true} when the page is left, or {}.
 */
export async function runAction(action, env) {
  if (action.redirect) {
    const url = safeUrl(action.redirect.url, ['http:', 'https:']);
    if (!url) return {};
    if (action.redirect.isNewTab) {
      const w = window.open(url, '_blank', 'noopener');
      if (!w) env.notice?.('The bot wants to open a new tab but it was blocked by your browser.', url);
      return {};
    }
    window.location.href = url;
    return { stop: true };
  }
  if (action.wait) {
    await sleep(Math.min(Number(action.wait.secondsToWaitFor) || 0, 60) * 1000);
    return action.expectsDedicatedReply ? { reply: null } : {};
  }
  if (action.setVariable) return { reply: await setVariable(action.setVariable.scriptToExecute) };
  const script = action.scriptToExecute || action.codeToExecute || action.chatwoot?.scriptToExecute;
  if (script && !action.chatwoot) {
    try { await run(script); } catch (e) { env.log?.(`script not run: ${e?.message || e}`); }
    return action.expectsDedicatedReply ? { reply: null } : {};
  }
  if (action.httpRequestToExecute) {
    const r = action.httpRequestToExecute;
    try {
      const res = await fetch(r.url, { method: r.method || 'GET', headers: r.headers || {}, body: r.body ?? undefined });
      const text = await res.text();
      let data = text;
      try { data = JSON.parse(text); } catch { /* text */ }
      return { reply: JSON.stringify({ statusCode: res.status, data }) };
    } catch (e) {
      return { reply: JSON.stringify({ statusCode: 500, data: String(e?.message || e) }) };
    }
  }
  // An AI answer the player streams into a bubble; its text is the reply the server waits for.
  if (action.stream || action.streamOpenAiChatCompletion) return { reply: await env.stream() };
  if (action.type === 'listenForWebhook') return action.expectsDedicatedReply ? { reply: null } : {};
  return action.expectsDedicatedReply ? { reply: null } : {};
}
