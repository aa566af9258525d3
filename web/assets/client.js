// The chat API client: startChat and continueChat on the Tessera server (apiHost). Errors come
// back as {error: message} with the server's message when it sent one.
const NOT_FOUND = "The bot you're looking for doesn't exist.";

async function post(url, body, extra = {}) {
  let res;
  try {
    res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...extra }, body: JSON.stringify(body) });
  } catch {
    return { error: 'Network error. Please check your internet connection and try again.', status: 0 };
  }
  let json = null;
  try { json = await res.json(); } catch { /* not JSON */ }
  if (res.ok && json) return { data: json };
  return { error: json?.message || `Error ${res.status}`, code: json?.code, status: res.status };
}

/** startChat; `userHash` is the identity check of a prefilled user id (X-Tessera-User-Hash). */
export function startChat(apiHost, bot, body, userHash) {
  const headers = userHash ? { 'x-tessera-user-hash': String(userHash) } : {};
  return post(`${apiHost}/api/v1/typebots/${encodeURIComponent(bot)}/startChat`, body, headers).then(r =>
    r.status === 404 && r.code !== 'bot_closed' ? { ...r, error: NOT_FOUND } : r);
}

export function continueChat(apiHost, sessionId, message, format) {
  const body = message === null || message === undefined ? {} : { message };
  if (format) body.textBubbleContentFormat = format;
  return post(`${apiHost}/api/v1/sessions/${encodeURIComponent(sessionId)}/continueChat`, body);
}
