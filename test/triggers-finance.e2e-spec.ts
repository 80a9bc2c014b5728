import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource, In } from 'typeorm';
import { toCents } from '../src/common/money/cents';
import { Message } from '../src/messages/message.entity';
import { ParticipantsService } from '../src/participants/participants.service';
import { ProgramsService } from '../src/programs/programs.service';
import { RewardHooks } from '../src/rewards/reward-hooks';
import { Reward } from '../src/rewards/reward.entity';
import { RewardsService } from '../src/rewards/rewards.service';
import { PayoutReminder } from '../src/payouts/payout-reminder.entity';
import { PayoutRemindersService } from '../src/payouts/payout-reminders.service';
import { SmtpTestServer } from './support/smtp-test-server';
import { bearer, eventually, startTestApp, TestApp } from './support/test-app';

type ProgramKeys = { id: string; secretKey: string; publishableKey: string };

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Rules that pay a fixed USD amount for events named after it (`sale.300` pays 300). */
async function payRules(
  t: TestApp,
  p: ProgramKeys,
  kind: 'cash' | 'gift_card',
  amounts: number[],
): Promise<void> {
  for (const amount of amounts) {
    await t.http
      .post('/v1/rules')
      .set(bearer(p.secretKey))
      .send({
        name: `Pay ${amount}`,
        event: `sale.${amount}`,
        actions: [
          { type: 'reward', to: 'participant', kind, amount, currency: 'USD', email: false },
        ],
      })
      .expect(201);
  }
}

let eventCounter = 0;
/** Sends an event through the public API and waits until its rules have run. */
async function earn(
  t: TestApp,
  p: ProgramKeys,
  participantId: string,
  amount: number,
): Promise<void> {
  const res = await t.http
    .post('/v1/events')
    .set(bearer(p.secretKey))
    .send({
      type: `sale.${amount}`,
      participant: { id: participantId, email: `${participantId}@example.com` },
      idempotencyKey: `e-${++eventCounter}-${randomBytes(3).toString('hex')}`,
    })
    .expect(202);
  await eventually(async () => {
    const ev = await t.http.get(`/v1/events/${res.body.id}`).set(bearer(p.secretKey)).expect(200);
    if (ev.body.status === 'failed') throw new Error(`event failed: ${JSON.stringify(ev.body)}`);
    return ev.body.status === 'processed';
  });
}

describe('Finance triggers (e2e): W-9 notice and payout reminders', () => {
  let smtp: SmtpTestServer;
  let t: TestApp;
  let db: DataSource;

  const messagesOf = (programId: string, templateKey: string, participantId?: string) =>
    db.getRepository(Message).find({
      where: { programId, templateKey, ...(participantId ? { participantId } : {}) },
      order: { createdAt: 'ASC' },
    });
  const summary = (p: ProgramKeys, id: string, year?: number) =>
    t.http
      .get(`/v1/participants/${id}/tax-summary${year ? `?year=${year}` : ''}`)
      .set(bearer(p.secretKey));
  const mailsTo = (address: string) =>
    smtp.received.filter((m) => m.envelope.rcptTo.includes(address));

  beforeAll(async () => {
    smtp = await SmtpTestServer.start();
    t = await startTestApp({
      env: { BUILTIN_SMTP_URL: `smtp://127.0.0.1:${smtp.port}`, SWEEP_INTERVAL_MS: '200' },
    });
    db = t.app.get(DataSource);
  });
  afterAll(async () => {
    await t.close();
    await smtp.stop();
  });

  describe('W-9 notice', () => {
    let p: ProgramKeys;

    beforeAll(async () => {
      p = await t.createProgram({
        name: 'Tax',
        timezone: 'America/New_York',
        settings: { links: { taxForm: 'https://club.example.com/tax-form' } },
      });
      await payRules(t, p, 'gift_card', [300, 299, 1, 10, 599, 700]);
    });

    it('sends nothing at 599 and exactly one notice once the year is above it', async () => {
      await earn(t, p, 'w1', 300);
      await earn(t, p, 'w1', 299);
      const at599 = await summary(p, 'w1').expect(200);
      expect(at599.body).toMatchObject({
        totalUsd: 599,
        thresholdUsd: 599,
        w9Required: false,
        w9NoticeSentAt: null,
      });
      expect(await messagesOf(p.id, 'w9-required', 'w1')).toHaveLength(0);

      await earn(t, p, 'w1', 1);
      await earn(t, p, 'w1', 10);
      const notices = await messagesOf(p.id, 'w9-required', 'w1');
      expect(notices).toHaveLength(1);
      const year = at599.body.year as number;
      expect(notices[0].dedupeKey).toBe(`w9:w1:${year}`);
      expect(notices[0].data).toMatchObject({ year, totalUsd: 600, thresholdUsd: 599 });

      const after = await summary(p, 'w1').expect(200);
      expect(after.body).toMatchObject({
        year,
        totalUsd: 610,
        w9Required: true,
        aboveThreshold: true,
      });
      expect(after.body.w9NoticeSentAt).toEqual(expect.any(String));

      const mail = await eventually(async () => mailsTo('w1@example.com')[0]);
      expect(mail.subject).toContain('W-9');
      expect(mail.text).toContain('$600.00');
      expect(mail.text).toContain('$599.00');
      expect(mail.text).toContain('/tax-form');
    });

    it('sends exactly one notice when concurrent rewards cross the line together', async () => {
      await earn(t, p, 'w2', 599);
      await Promise.all(Array.from({ length: 8 }, () => earn(t, p, 'w2', 10)));
      expect((await summary(p, 'w2').expect(200)).body.totalUsd).toBe(679);
      expect(await messagesOf(p.id, 'w9-required', 'w2')).toHaveLength(1);
    });

    it('sends exactly one notice when rewards written in parallel transactions cross the line', async () => {
      const program = (await t.app.get(ProgramsService).findById(p.id))!;
      const { participant } = await t.app
        .get(ParticipantsService)
        .upsert(p.id, 'w3', { email: 'w3@example.com' });
      const rewards = t.app.get(RewardsService);
      await Promise.all(
        Array.from({ length: 6 }, () =>
          db.transaction((m) =>
            rewards.createInTransaction(
              m,
              {
                programId: p.id,
                participantId: 'w3',
                kind: 'gift_card',
                amount: 150,
                currency: 'USD',
              },
              { program, participant },
            ),
          ),
        ),
      );
      expect((await summary(p, 'w3').expect(200)).body.totalUsd).toBe(900);
      expect(await messagesOf(p.id, 'w9-required', 'w3')).toHaveLength(1);
    });

    it('sends none with a tax form on file', async () => {
      await t.http
        .put('/v1/participants/w4')
        .set(bearer(p.secretKey))
        .send({ email: 'w4@example.com', taxFormOnFile: true })
        .expect(201);
      await earn(t, p, 'w4', 700);
      const res = await summary(p, 'w4').expect(200);
      expect(res.body).toMatchObject({
        totalUsd: 700,
        aboveThreshold: true,
        taxFormOnFile: true,
        w9Required: false,
        w9NoticeSentAt: null,
      });
      expect(await messagesOf(p.id, 'w9-required', 'w4')).toHaveLength(0);
    });

    it('leaves cancelled rewards out of the total', async () => {
      await earn(t, p, 'w5', 599);
      const list = await t.http
        .get('/v1/rewards?participantId=w5')
        .set(bearer(p.secretKey))
        .expect(200);
      await t.http
        .patch(`/v1/rewards/${list.body.items[0].id}`)
        .set(bearer(p.secretKey))
        .send({ status: 'cancelled' })
        .expect(200);
      expect((await summary(p, 'w5').expect(200)).body.totalUsd).toBe(0);
      await earn(t, p, 'w5', 300);
      await earn(t, p, 'w5', 299);
      expect((await summary(p, 'w5').expect(200)).body.totalUsd).toBe(599);
      expect(await messagesOf(p.id, 'w9-required', 'w5')).toHaveLength(0);
    });

    it('answers 404 for an unknown participant and 400 for a bad year', async () => {
      expect((await summary(p, 'nobody').expect(404)).body.code).toBe('NOT_FOUND');
      const bad = await t.http
        .get('/v1/participants/w1/tax-summary?year=abc')
        .set(bearer(p.secretKey))
        .expect(400);
      expect(bad.body.code).toBe('VALIDATION_FAILED');
    });

    describe('calendar years in the program time zone', () => {
      let dated: ProgramKeys;
      // Rewards dated in the past or future go through the hooks directly: the rewards API
      // stamps the time of writing.
      async function rewardAt(
        participantId: string,
        amount: number,
        createdAt: string,
      ): Promise<void> {
        const program = (await t.app.get(ProgramsService).findById(dated.id))!;
        const participant = await t.app.get(ParticipantsService).get(dated.id, participantId);
        const reward: Reward = Object.assign(new Reward(), {
          id: randomBytes(8).toString('hex'),
          programId: dated.id,
          participantId,
          ruleId: null,
          ruleVersion: null,
          eventId: null,
          effectKey: null,
          kind: 'gift_card',
          amount,
          currency: 'USD',
          taxableCents: toCents(amount),
          status: 'available',
          paidAt: null,
          cancelledAt: null,
          createdAt: new Date(createdAt),
          updatedAt: new Date(createdAt),
        });
        await db.transaction((m) =>
          t.app.get(RewardHooks).runRewardWritten(m, reward, program, participant),
        );
      }

      beforeAll(async () => {
        dated = await t.createProgram({
          name: 'Dated',
          timezone: 'America/New_York',
          settings: { w9ThresholdsByYear: { '2026': 2000 } },
        });
        await t.http
          .put('/v1/participants/y1')
          .set(bearer(dated.secretKey))
          .send({ email: 'y1@example.com' })
          .expect(201);
      });

      it('honours the 2026 threshold of 2000, counting New Year\u2019s Eve in New York in 2026, and starts 2027 from zero', async () => {
        await rewardAt('y1', 1500, '2026-06-01T12:00:00Z');
        expect((await summary(dated, 'y1', 2026).expect(200)).body).toMatchObject({
          year: 2026,
          totalUsd: 1500,
          thresholdUsd: 2000,
          w9Required: false,
        });
        expect(await messagesOf(dated.id, 'w9-required', 'y1')).toHaveLength(0);

        // 22:00 on 31 December in New York, already 2027 in UTC.
        await rewardAt('y1', 500, '2027-01-01T03:00:00Z');
        expect((await summary(dated, 'y1', 2026).expect(200)).body.totalUsd).toBe(2000);
        expect(await messagesOf(dated.id, 'w9-required', 'y1')).toHaveLength(0);

        await rewardAt('y1', 0.01, '2026-12-31T12:00:00Z');
        const notices = await messagesOf(dated.id, 'w9-required', 'y1');
        expect(notices.map((n) => n.dedupeKey)).toEqual(['w9:y1:2026']);

        await rewardAt('y1', 599, '2027-01-01T06:00:00Z');
        expect((await summary(dated, 'y1', 2027).expect(200)).body).toMatchObject({
          year: 2027,
          totalUsd: 599,
          thresholdUsd: 599,
          w9Required: false,
        });
        expect(await messagesOf(dated.id, 'w9-required', 'y1')).toHaveLength(1);
        await rewardAt('y1', 1, '2027-03-01T06:00:00Z');
        expect((await messagesOf(dated.id, 'w9-required', 'y1')).map((n) => n.dedupeKey)).toEqual([
          'w9:y1:2026',
          'w9:y1:2027',
        ]);
      });
    });
  });

  describe('payout reminders', () => {
    let p: ProgramKeys;
    const reminders = (participantId: string) =>
      db.getRepository(PayoutReminder).find({
        where: { programId: p.id, participantId },
        order: { intervalIndex: 'ASC', createdAt: 'ASC' },
      });

    beforeAll(async () => {
      p = await t.createProgram({
        name: 'Payouts',
        settings: {
          payoutReminderIntervals: ['PT1S', 'PT2S'],
          links: {
            taxForm: 'https://club.example.com/tax-form',
            payoutDetails: 'https://club.example.com/payout-details',
          },
        },
      });
      await payRules(t, p, 'cash', [50, 20]);
    });

    it('sends the reminders in order at their intervals after a cash reward', async () => {
      const started = Date.now();
      await earn(t, p, 'r1', 50);
      const mails = await eventually(
        async () => (mailsTo('r1@example.com').length >= 2 ? mailsTo('r1@example.com') : undefined),
        15000,
      );
      // The sink holds a message before its row records the outcome; wait for both ids.
      const rows = await eventually(async () => {
        const found = await messagesOf(p.id, 'payout-reminder', 'r1');
        return found.length === 2 && found.every((m) => m.messageId) ? found : undefined;
      }, 15000);
      const numberOf = new Map(rows.map((m) => [m.messageId, m.data.reminderNumber]));
      expect(mails.map((m) => numberOf.get(m.messageId ?? ''))).toEqual([1, 2]);
      expect(rows[0].createdAt.getTime() - started).toBeGreaterThanOrEqual(900);
      expect(rows[1].createdAt.getTime() - rows[0].createdAt.getTime()).toBeGreaterThanOrEqual(700);
      expect(mails[0].subject).toContain('$50.00');
      expect(mails[0].text).toContain('https://club.example.com/payout-details');
      expect(mails[0].text).toContain('https://club.example.com/tax-form');
      expect((await reminders('r1')).map((r) => r.status)).toEqual(['sent', 'sent']);
      await pause(1500);
      expect(mailsTo('r1@example.com')).toHaveLength(2);
    });

    it('stops as soon as the details are on file', async () => {
      // Wider intervals here, so the details surely arrive between the two reminders.
      const slow = await t.createProgram({
        name: 'Payouts, slower',
        settings: { payoutReminderIntervals: ['PT1S', 'PT3S'] },
      });
      await payRules(t, slow, 'cash', [50]);
      const started = Date.now();
      await earn(t, slow, 'r2', 50);
      await eventually(async () => mailsTo('r2@example.com').length === 1, 15000);
      await t.http
        .put('/v1/participants/r2')
        .set(bearer(slow.secretKey))
        .send({ email: 'r2@example.com', taxFormOnFile: true, payoutDetailsOnFile: true })
        .expect(200);
      await pause(Math.max(0, started + 4000 - Date.now()));
      expect(mailsTo('r2@example.com')).toHaveLength(1);
      const rows = await db.getRepository(PayoutReminder).find({
        where: { programId: slow.id, participantId: 'r2' },
        order: { intervalIndex: 'ASC' },
      });
      expect(rows.map((r) => r.status)).toEqual(['sent', 'cancelled']);
    });

    it('sends one reminder per interval however many cash rewards wait', async () => {
      await earn(t, p, 'r3', 50);
      await earn(t, p, 'r3', 20);
      await eventually(
        async () => (await reminders('r3')).every((r) => r.status !== 'pending'),
        15000,
      );
      await pause(1500);
      expect(await messagesOf(p.id, 'payout-reminder', 'r3')).toHaveLength(2);
      expect((await reminders('r3')).map((r) => [r.intervalIndex, r.status])).toEqual([
        [0, 'sent'],
        [1, 'sent'],
      ]);
    });

    it('sends nothing once every cash reward is paid', async () => {
      await earn(t, p, 'r4', 50);
      const list = await t.http
        .get('/v1/rewards?participantId=r4')
        .set(bearer(p.secretKey))
        .expect(200);
      await t.http
        .patch(`/v1/rewards/${list.body.items[0].id}`)
        .set(bearer(p.secretKey))
        .send({ status: 'paid' })
        .expect(200);
      await pause(2500);
      expect(await messagesOf(p.id, 'payout-reminder', 'r4')).toHaveLength(0);
      expect((await reminders('r4')).map((r) => r.status)).toEqual(['cancelled', 'cancelled']);
    });

    it('schedules nothing when both details are on file, and says which one is missing otherwise', async () => {
      await t.http
        .put('/v1/participants/r5')
        .set(bearer(p.secretKey))
        .send({ email: 'r5@example.com', taxFormOnFile: true, payoutDetailsOnFile: true })
        .expect(201);
      await earn(t, p, 'r5', 50);
      expect(await reminders('r5')).toHaveLength(0);

      await t.http
        .put('/v1/participants/r6')
        .set(bearer(p.secretKey))
        .send({ email: 'r6@example.com', taxFormOnFile: true })
        .expect(201);
      await earn(t, p, 'r6', 50);
      await eventually(
        async () => (await messagesOf(p.id, 'payout-reminder', 'r6')).length >= 1,
        15000,
      );
      const [first] = await messagesOf(p.id, 'payout-reminder', 'r6');
      expect(first.data).toMatchObject({
        taxFormMissing: false,
        payoutDetailsMissing: true,
        reminderNumber: 1,
      });
    });

    it('opens a new cycle for a cash reward earned after the last reminder', async () => {
      await earn(t, p, 'r7', 50);
      await eventually(
        async () => (await reminders('r7')).every((r) => r.status === 'sent'),
        15000,
      );
      await earn(t, p, 'r7', 20);
      await eventually(
        async () => (await messagesOf(p.id, 'payout-reminder', 'r7')).length === 4,
        15000,
      );
      const rows = await reminders('r7');
      expect(rows).toHaveLength(4);
      expect(rows.every((r) => r.openCycle === null)).toBe(true);
    });
  });
});

// Apps of their own, and no other app on the database: on Postgres every app sweeps the same rows.
describe('Payout reminders across restarts and workers (e2e)', () => {
  let smtp: SmtpTestServer;

  beforeAll(async () => {
    smtp = await SmtpTestServer.start();
  });
  afterAll(() => smtp.stop());

  describe('payout reminders across a restart', () => {
    it('sends what fell due while the app was down', async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'rn-restart-'));
      const queuePrefix = `rnr${randomBytes(4).toString('hex')}`;
      const env = { BUILTIN_SMTP_URL: `smtp://127.0.0.1:${smtp.port}`, SWEEP_INTERVAL_MS: '200' };
      // Not fresh: on Postgres the database is the one the main app of this file uses.
      let first: TestApp | undefined = await startTestApp({
        env,
        dataDir,
        queuePrefix,
        fresh: false,
      });
      let second: TestApp | undefined;
      try {
        const p = await first.createProgram({
          name: 'Restart',
          settings: { payoutReminderIntervals: ['PT1S', 'PT2S'] },
        });
        await payRules(first, p, 'cash', [50]);
        await earn(first, p, 'z1', 50);
        await first.close();
        first = undefined;
        await pause(2500);
        second = await startTestApp({ env, dataDir, queuePrefix, fresh: false });
        const db2 = second.app.get(DataSource);
        await eventually(
          async () =>
            (await db2
              .getRepository(Message)
              .countBy({ programId: p.id, templateKey: 'payout-reminder' })) === 1,
          15000,
        );
        await pause(1000);
        // Both were due by then: the later one goes out, the earlier one is not sent on top of it.
        const rows = await db2
          .getRepository(PayoutReminder)
          .find({ where: { programId: p.id }, order: { intervalIndex: 'ASC' } });
        expect(rows.map((r) => r.status)).toEqual(['cancelled', 'sent']);
      } finally {
        await first?.close();
        await second?.close();
        rmSync(dataDir, { recursive: true, force: true });
      }
    });
  });

  // Two worker processes need a database and a queue they share: the Postgres + Redis pass runs this;
  // the embedded setup is one process by design.
  if (process.env.TEST_DATABASE_URL && process.env.TEST_REDIS_URL)
    describe('payout reminders with two workers on one Postgres and Redis', () => {
      it('sends no reminder twice', async () => {
        const dataDir = mkdtempSync(join(tmpdir(), 'rn-two-'));
        const queuePrefix = `rnw${randomBytes(4).toString('hex')}`;
        const env = { BUILTIN_SMTP_URL: `smtp://127.0.0.1:${smtp.port}`, SWEEP_INTERVAL_MS: '100' };
        const a = await startTestApp({ env, dataDir, queuePrefix, fresh: false });
        const b = await startTestApp({ env, dataDir, queuePrefix, fresh: false });
        try {
          const p = await a.createProgram({
            name: 'Two workers',
            settings: { payoutReminderIntervals: ['PT1S', 'PT2S'] },
          });
          await payRules(a, p, 'cash', [50]);
          const ids = Array.from({ length: 12 }, (_, i) => `two${i}`);
          await Promise.all(ids.map((id) => earn(a, p, id, 50)));
          // Besides the scheduled sweeps, both instances sweep in a tight loop at the same time.
          const hammer = (app: TestApp) => async () => {
            const until = Date.now() + 3500;
            while (Date.now() < until) {
              await app.app.get(PayoutRemindersService).sweepDue();
              await pause(20);
            }
          };
          await Promise.all([hammer(a)(), hammer(b)()]);
          const dbA = a.app.get(DataSource);
          await eventually(
            async () =>
              (await dbA
                .getRepository(PayoutReminder)
                .countBy({ programId: p.id, status: 'sent' })) === 24,
            15000,
          );
          const messages = await dbA
            .getRepository(Message)
            .findBy({ programId: p.id, templateKey: 'payout-reminder' });
          expect(messages).toHaveLength(24);
          await eventually(
            async () =>
              (await dbA
                .getRepository(Message)
                .countBy({ id: In(messages.map((m) => m.id)), status: 'sent' })) === 24,
            15000,
          );
          const mails = smtp.received.filter((m) =>
            ids.some((id) => m.envelope.rcptTo.includes(`${id}@example.com`)),
          );
          expect(mails).toHaveLength(24);
          expect(new Set(mails.map((m) => m.messageId)).size).toBe(24);
        } finally {
          await a.close();
          await b.close();
          rmSync(dataDir, { recursive: true, force: true });
        }
      });
    });
});
