// A minimal microsite for the links of Referral Notify's emails: the pages a program's
// settings.micrositeUrl must serve (see "Participant pages and program links" in the README).
// It calls the public API from its server with the program's publishable key.
//
//   REFERRAL_NOTIFY_URL=https://notify.example.com PUBLISHABLE_KEY=pk_... PORT=8080 node server.mjs
import { createServer } from 'node:http';

const API = `${process.env.REFERRAL_NOTIFY_URL}/v1/public`;
const KEY = process.env.PUBLISHABLE_KEY;

const call = (path, body) =>
  fetch(`${API}/${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

const escape = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

async function readForm(req) {
  let raw = '';
  for await (const chunk of req) raw += chunk;
  return new URLSearchParams(raw);
}

createServer(async (req, res) => {
  const url = new URL(req.url, 'http://microsite');
  const token = url.searchParams.get('token');
  const send = (status, title, body = '') => {
    // The token is in the address: no cache keeps the page, no other site gets it as a referrer.
    res.writeHead(status, {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'referrer-policy': 'no-referrer',
    });
    res.end(
      `<!doctype html><html lang="en"><head><meta charset="utf-8">` +
        `<meta name="viewport" content="width=device-width, initial-scale=1">` +
        `<title>${escape(title)}</title></head><body><main><h1>${escape(title)}</h1>${body}</main></body></html>`,
    );
  };

  // GET /verify?token=…: confirm the address, or say the link no longer works.
  if (req.method === 'GET' && url.pathname === '/verify') {
    const confirmed = await call('verification/confirm', { token });
    return confirmed.ok
      ? send(200, 'Email address confirmed')
      : send(410, 'This link no longer works', '<p>It expired or was used. Ask for a new one.</p>');
  }

  // GET /reset-password?token=…: the new password form. Without a token (the link of the
  // password-changed email): a form that asks for a reset link.
  if (req.method === 'GET' && url.pathname === '/reset-password') {
    if (!token)
      return send(
        200,
        'Reset your password',
        '<form method="post" action="/reset-password/request"><label for="email">Email address</label>' +
          '<input id="email" name="email" type="email" autocomplete="email" required>' +
          '<button>Send me a link</button></form>',
      );
    return send(
      200,
      'Choose a new password',
      `<form method="post" action="/reset-password"><input type="hidden" name="token" value="${escape(token)}">` +
        '<label for="password">New password (8 to 256 characters)</label>' +
        '<input id="password" name="password" type="password" autocomplete="new-password" minlength="8" maxlength="256" required>' +
        '<button>Save my new password</button></form>',
    );
  }

  if (req.method === 'POST' && url.pathname === '/reset-password') {
    const form = await readForm(req);
    const done = await call('password-reset/confirm', {
      token: form.get('token'),
      password: form.get('password'),
    });
    if (done.ok) return send(200, 'Your password was changed');
    const { code, message } = await done.json();
    return code === 'TOKEN_INVALID'
      ? send(410, 'This link no longer works', '<p>It expired or was used. Ask for a new one.</p>')
      : send(400, 'Choose another password', `<p>${escape(message)}</p>`);
  }

  if (req.method === 'POST' && url.pathname === '/reset-password/request') {
    const form = await readForm(req);
    await call('password-reset', { email: form.get('email') });
    return send(
      200,
      'Check your inbox',
      '<p>If the address has an account, a link is on its way.</p>',
    );
  }

  send(404, 'Not found');
}).listen(Number(process.env.PORT ?? 8080), process.env.HOST ?? '127.0.0.1');
