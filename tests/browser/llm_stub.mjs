// A stand-in OpenAI chat-completions server for the AI browser test: answers
// `Echo: <last user message>`, streamed as OpenAI's server-sent events (one word per chunk,
// 40 ms apart, then `data: [DONE]`) when the request asks for `stream: true`. Prints its port.
import http from 'node:http';

const KEY = process.env.BROWSER_AI_KEY || '';
const server = http.createServer((req, res) => {
  let raw = '';
  req.on('data', c => { raw += c; });
  req.on('end', async () => {
    if (req.headers.authorization !== `Bearer ${KEY}`) {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: 'Incorrect API key provided' } }));
      return;
    }
    const body = JSON.parse(raw || '{}');
    const user = [...(body.messages || [])].reverse().find(m => m.role === 'user');
    const reply = `Echo: ${user ? user.content : ''}`;
    if (!body.stream) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ choices: [{ index: 0, message: { role: 'assistant', content: reply } }],
        usage: { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 } }));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    for (const word of reply.split(/(?<= )/)) {
      const chunk = { object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: word } }] };
      res.write(`data: ${JSON.stringify(chunk)}\n\n`);
      await new Promise(r => setTimeout(r, 40));
    }
    res.end('data: [DONE]\n\n');
  });
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
