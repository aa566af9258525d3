// Streamed AI answers (the `stream` client-side action), loaded on first use: POSTs the
// session's streamMessage and reads the AI SDK data stream it answers (`0:"<json text>"` per
// delta, `3:"<json error>"` on a failure mid-stream), calling onText with the text so far.
// Resolves to {text} or {text, error}.
export async function streamAnswer(apiHost, sessionId, onText) {
  let res;
  try {
    res = await fetch(`${apiHost}/api/v2/sessions/${encodeURIComponent(sessionId)}/streamMessage`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  } catch {
    return { text: '', error: 'Network error. Please check your internet connection and try again.' };
  }
  if (!res.ok || !res.body) {
    let message;
    try { message = (await res.json()).message; } catch { /* not JSON */ }
    return { text: '', error: message || `Error ${res.status}` };
  }
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buf = '';
  let text = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return { text };
    buf += value;
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      const colon = line.indexOf(':');
      let v;
      try { v = JSON.parse(line.slice(colon + 1)); } catch { continue; }
      const kind = line.slice(0, colon);
      if (kind === '3') { reader.cancel().catch(() => {}); return { text, error: String(v) }; }
      if (kind === '0' && typeof v === 'string') { text += v; onText(text); }
    }
  }
}
