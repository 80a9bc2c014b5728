import { simpleParser } from 'mailparser';
import { DataSource } from 'typeorm';
import { Message } from '../src/messages/message.entity';
import { NotifyParticipant } from '../src/notifications/notify-participant';
import { ProgramsService } from '../src/programs/programs.service';
import { sampleEmailData } from '../src/templates/renderer';
import { DnsTestServer } from './support/dns-test-server';
import { bearer, eventually, startTestApp, type TestApp } from './support/test-app';

type Program = { id: string; secretKey: string };

/** A custom From domain that stops passing its DNS check, and two programs on one domain. */
describe('Sender domain: failing checks and shared domains (e2e)', () => {
  let dnsServer: DnsTestServer;
  beforeAll(async () => (dnsServer = await DnsTestServer.start()));
  afterAll(() => dnsServer.stop());

  const publishAll = async (t: TestApp, p: Program, only?: string) => {
    const current = await t.http.get('/v1/integrations/sender-domain').set(bearer(p.secretKey));
    dnsServer.publish(
      current.body.records
        .filter((r: { purpose: string }) => !only || r.purpose === only)
        .map((r: { type: string; name: string; value: string; strings?: string[] }) => ({
          type: r.type,
          name: r.name,
          content: r.strings ? r.strings.join('') : r.value,
          strings: r.strings,
        })),
    );
    return current.body as { selector: string; records: Array<{ purpose: string; value: string }> };
  };
  const verify = (t: TestApp, p: Program) =>
    t.http.post('/v1/integrations/sender-domain/verify').set(bearer(p.secretKey)).send({});

  const start = (graceHours: string) =>
    startTestApp({
      env: {
        DNS_SERVERS: dnsServer.address,
        BUILTIN_FROM_ADDRESS: 'notifications@platform.test',
        SENDER_DOMAIN_GRACE_HOURS: graceHours,
      },
    });

  const setUp = async (t: TestApp, domain: string) => {
    const p = await t.createProgram({
      name: 'Grace',
      settings: { alertEmail: 'ops@acme.test' },
    });
    await t.http
      .put('/v1/integrations/sender-domain')
      .set(bearer(p.secretKey))
      .send({ domain, fromAddress: `rewards@${domain}`, fromName: 'Acme Rewards' })
      .expect(200);
    await publishAll(t, p);
    expect((await verify(t, p)).body.status).toBe('verified');
    return p;
  };

  const send = async (t: TestApp, p: Program, to: string, key: string) => {
    const program = (await t.app.get(ProgramsService).findById(p.id))!;
    return t.app.get(NotifyParticipant).execute(undefined, {
      program,
      to: { address: to },
      template: 'generic',
      locales: ['en'],
      data: sampleEmailData('generic', 'en'),
      dedupeKey: key,
    });
  };
  const settled = (t: TestApp, id: string) =>
    eventually(async () => {
      const m = await t.app.get(DataSource).getRepository(Message).findOneByOrFail({ id });
      return ['sent', 'failed', 'suppressed'].includes(m.status) ? m : undefined;
    }, 20000);

  describe('within the grace period', () => {
    let t: TestApp;
    beforeAll(async () => (t = await start('72')));
    afterAll(() => t.close());

    it('keeps signing From the domain, shows until when, and tells the alert address once', async () => {
      const p = await setUp(t, 'grace.acme.test');
      dnsServer.set('grace.acme.test', { TXT: ['v=spf1 include:elsewhere.test ~all'] });
      const failed = await verify(t, p);
      expect(failed.body.status).toBe('failed');
      const since = new Date(failed.body.failingSince as string).getTime();
      expect(new Date(failed.body.signsUntil as string).getTime() - since).toBe(72 * 3600_000);

      const sent = await settled(t, (await send(t, p, 'friend@example.org', 'grace-1')).id);
      expect(sent.status).toBe('sent');
      const raw = await t.http
        .get(`/v1/messages/${sent.id}/raw`)
        .set(bearer(p.secretKey))
        .buffer(true)
        .parse((res, done) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => done(null, Buffer.concat(chunks)));
        })
        .expect(200);
      const mail = await simpleParser(raw.body as Buffer);
      expect(mail.from?.value[0].address).toBe('rewards@grace.acme.test');
      expect(mail.headers.get('dkim-signature')).toEqual(
        expect.objectContaining({ params: expect.objectContaining({ d: 'grace.acme.test' }) }),
      );

      // Checked again, still failing: the same grace period, and no second alert.
      const again = await verify(t, p);
      expect(again.body.failingSince).toBe(failed.body.failingSince);
      const alerts = await eventually(async () => {
        const rows = await t.app
          .get(DataSource)
          .getRepository(Message)
          .findBy({ programId: p.id, templateKey: 'program-alert' });
        return rows.length === 1 && rows[0].status === 'sent' ? rows : undefined;
      });
      expect(alerts[0]).toMatchObject({
        toEmail: 'ops@acme.test',
        via: 'platform',
        category: 'transactional',
      });
      const alertRaw = await t.http
        .get(`/v1/messages/${alerts[0].id}/raw`)
        .set(bearer(p.secretKey))
        .buffer(true)
        .parse((res, done) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => done(null, Buffer.concat(chunks)));
        });
      const alert = await simpleParser(alertRaw.body as Buffer);
      // The platform tells the program: not From the domain that is failing.
      expect(alert.from?.value[0].address).toBe('notifications@platform.test');
      expect(alert.subject).toContain('grace.acme.test no longer passes its DNS check');
      expect(alert.text).toContain('never sent from another address');

      // Fixed and checked again: verified, no longer failing.
      dnsServer.remove('grace.acme.test', 'TXT');
      await publishAll(t, p, 'spf');
      const fixed = await verify(t, p);
      expect(fixed.body).toMatchObject({
        status: 'verified',
        failingSince: null,
        signsUntil: null,
      });
    });

    it('gives a second program on the same domain a selector of its own, leaving the first record alone', async () => {
      const first = await setUp(t, 'shared.acme.test');
      const before = await t.http
        .get('/v1/integrations/sender-domain')
        .set(bearer(first.secretKey));
      const second = await t.createProgram({ name: 'Second on shared' });
      const theirs = await t.http
        .put('/v1/integrations/sender-domain')
        .set(bearer(second.secretKey))
        .send({ domain: 'shared.acme.test', fromAddress: 'news@shared.acme.test' })
        .expect(200);
      expect(theirs.body.selector).not.toBe(before.body.selector);
      const dkimName = (b: { records: Array<{ purpose: string; name: string }> }) =>
        b.records.find((r) => r.purpose === 'dkim')!.name;
      expect(dkimName(theirs.body)).not.toBe(dkimName(before.body));
      // Publishing the second program's key (the domain's SPF is already there) leaves the first one's.
      await publishAll(t, second, 'dkim');
      expect((await verify(t, second)).body.status).toBe('verified');
      expect((await verify(t, first)).body.status).toBe('verified');
    });
  });

  describe('after the grace period', () => {
    let t: TestApp;
    beforeAll(async () => (t = await start('0')));
    afterAll(() => t.close());

    it('sends nothing, from no other address, and says what to fix; a retry after the fix sends', async () => {
      const p = await setUp(t, 'over.acme.test');
      dnsServer.set('over.acme.test', { TXT: ['v=spf1 include:elsewhere.test ~all'] });
      expect((await verify(t, p)).body.status).toBe('failed');
      const failed = await settled(t, (await send(t, p, 'friend@example.org', 'over-1')).id);
      expect(failed).toMatchObject({ status: 'failed', errorCode: 'SENDER_DOMAIN_UNVERIFIED' });
      expect(failed.errorMessage).toContain('over.acme.test');

      dnsServer.remove('over.acme.test', 'TXT');
      await publishAll(t, p, 'spf');
      expect((await verify(t, p)).body.status).toBe('verified');
      await t.http.post(`/v1/messages/${failed.id}/retry`).set(bearer(p.secretKey)).expect(202);
      expect((await settled(t, failed.id)).status).toBe('sent');
    });
  });
});
