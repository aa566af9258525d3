// The chat API client: startChat (or, with a user id, the start of a workflow run for that
// user) and continueChat on the Tessera server (apiHost). Errors come back as {error: message}
// with the server's message when it sent one.
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

/**
 * Starts the bot. With a user id, a run of the workflow for that user (listed by the workflow
 * runs API; a bot that is no workflow falls back to startChat); `userHash` is the identity
 * check of the user id (X-Tessera-User-Hash).
 */
export async function startChat(apiHost, bot, body, userId, userHash) {
  const headers = userHash ? { 'x-tessera-user-hash': String(userHash) } : {};
  const id = encodeURIComponent(bot);
  let r = userId ? await post(`${apiHost}/api/workflows/${id}/start`, { ...body, userId: String(userId) }, headers) : null;
  if (!r || r.code === 'workflow_not_found') r = await post(`${apiHost}/api/v1/typebots/${id}/startChat`, body, headers);
  return r.status === 404 && r.code !== 'bot_closed' ? { ...r, error: NOT_FOUND } : r;
}

export function continueChat(apiHost, sessionId, message, format) {
  const body = message === null || message === undefined ? {} : { message };
  if (format) body.textBubbleContentFormat = format;
  return post(`${apiHost}/api/v1/sessions/${encodeURIComponent(sessionId)}/continueChat`, body);
}
