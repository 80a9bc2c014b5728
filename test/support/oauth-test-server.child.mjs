// The authorization server of the OAuth tests, in a process of its own: oauth2-mock-server is an
// ES module that jest cannot load. It issues real signed tokens (RS256, its own keys) over HTTPS
// with the test CA's certificate, checks the client and PKCE, records which mailbox each token is
// for (the login_hint of the authorization request), and answers the test process over IPC.
import { createServer } from 'node:http';
import { join } from 'node:path';
import { OAuth2Server } from 'oauth2-mock-server';

const { certDir, clientId, clientSecret } = JSON.parse(process.argv[2]);

const settings = { accessLifetimeS: 3600, jwtLifetimeS: null, refuseRefresh: false };
const emailOfCode = new Map();
const emailOfRefresh = new Map();
const revoked = new Set();
const accessTokens = new Map();
const issued = { access: [], refresh: [] };
let counts = {};

const server = new OAuth2Server(join(certDir, 'server.key'), join(certDir, 'server.crt'));
await server.issuer.keys.generate('RS256');
const service = server.service;

service.on('beforeAuthorizeRedirect', ({ url }, req) => {
  const code = url.searchParams.get('code');
  if (code) emailOfCode.set(code, req.query.login_hint ?? null);
});

const emailOf = (body) =>
  body.grant_type === 'authorization_code'
    ? emailOfCode.get(body.code)
    : emailOfRefresh.get(body.refresh_token);

service.on('beforeTokenSigning', (token, req) => {
  const body = req.body ?? {};
  const now = Math.floor(Date.now() / 1000);
  token.payload.email = emailOf(body) ?? null;
  token.payload.exp = now + (settings.jwtLifetimeS ?? settings.accessLifetimeS);
});

service.on('beforeResponse', (response, req) => {
  const body = req.body ?? {};
  counts[body.grant_type] = (counts[body.grant_type] ?? 0) + 1;
  const refuse = (status, error, description) => {
    response.statusCode = status;
    response.body = { error, error_description: description };
  };
  if (body.client_id !== clientId || body.client_secret !== clientSecret)
    return refuse(401, 'invalid_client', 'The client id or secret is wrong.');
  if (body.grant_type === 'authorization_code' && !body.code_verifier)
    return refuse(400, 'invalid_request', 'PKCE code_verifier required.');
  const email = emailOf(body);
  if (body.grant_type === 'refresh_token') {
    if (settings.refuseRefresh || revoked.has(body.refresh_token) || !email)
      return refuse(400, 'invalid_grant', 'AADSTS50173: The provided grant has been revoked.');
  }
  response.body.expires_in = settings.accessLifetimeS;
  delete response.body.id_token;
  // A new refresh token each time, as Microsoft rotates them; the old one keeps working.
  emailOfRefresh.set(response.body.refresh_token, email);
  issued.refresh.push(response.body.refresh_token);
  issued.access.push(response.body.access_token);
  accessTokens.set(response.body.access_token, {
    email,
    exp: Date.now() + (settings.jwtLifetimeS ?? settings.accessLifetimeS) * 1000,
  });
});

// Token introspection (RFC 7662) for Dovecot's oauth2 passdb: active while the token is one this
// server issued and has not expired.
service.addRoute('POST', '/introspect-tokens', (req, res) => {
  const known = accessTokens.get(req.body?.token);
  const active = Boolean(known && known.exp > Date.now() && known.email);
  counts.introspect = (counts.introspect ?? 0) + 1;
  res.setHeader('content-type', 'application/json');
  res.end(
    JSON.stringify(
      active
        ? { active, email: known.email, exp: Math.floor(known.exp / 1000) }
        : { active: false },
    ),
  );
});

await server.start(0, 'localhost');
// Dovecot reaches introspection over plain HTTP on loopback; the service itself only over HTTPS.
const plain = createServer(service.requestHandler);
await new Promise((resolve) => plain.listen(0, '127.0.0.1', resolve));

process.on('message', (msg) => {
  const reply = (value) => process.send({ id: msg.id, value });
  switch (msg.cmd) {
    case 'set':
      Object.assign(settings, msg.settings);
      return reply(settings);
    case 'revoke-all':
      for (const token of emailOfRefresh.keys()) revoked.add(token);
      return reply(revoked.size);
    case 'stats':
      return reply({ counts, issued });
    case 'reset-counts':
      counts = {};
      return reply(null);
    case 'stop':
      plain.close();
      return server.stop().then(() => {
        reply(null);
        process.exit(0);
      });
  }
});

process.send({
  ready: true,
  issuer: server.issuer.url,
  introspectionUrl: `http://127.0.0.1:${plain.address().port}/introspect-tokens`,
});
