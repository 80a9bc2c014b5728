import { sampleEmailData, TemplateRenderer } from './renderer';
import type { TemplateOverrideStore } from './template-override.store';
import { TemplatesService } from './templates.service';

const program = {
  id: 'prog-1',
  name: 'Acme',
  fromName: null,
  replyTo: null,
  timezone: 'UTC',
  defaultLocale: 'en',
  settings: { branding: false },
};
const ana = {
  id: 'ana',
  email: 'ana@example.com',
  firstName: 'Ana',
  lastName: null,
  locale: 'es',
  country: 'MX',
  customFields: null,
};
const bo = { id: 'bo', email: 'bo@example.com', firstName: 'Bo' };
const reward = {
  id: 'r1',
  kind: 'cash' as const,
  amount: '25.50',
  currency: 'USD',
  taxableUsd: '25.50',
  createdAt: '2026-03-14T15:30:00.000Z',
};

describe(TemplatesService.name, () => {
  const service = new TemplatesService({
    getOverride: () => undefined,
  } as unknown as TemplateOverrideStore);

  describe('buildData', () => {
    it('builds the variables of a system email with the renderer mappers', () => {
      const data = service.buildData('verification', {
        program,
        participant: ana,
        referrer: bo,
        extra: { verifyUrl: 'https://x.example/v', expiresInHours: 24, stray: 1 },
      });
      expect(data).toEqual({
        participant: { ...ana, customFields: {} },
        program: {
          id: 'prog-1',
          name: 'Acme',
          fromName: null,
          replyTo: null,
          timezone: 'UTC',
          defaultLocale: 'en',
          branding: false,
          postalAddress: null,
        },
        verifyUrl: 'https://x.example/v',
        expiresInHours: 24,
      });
    });

    it('addresses the referrer when asked, and turns decimals into numbers', () => {
      const data = service.buildData('reward-earned', {
        program,
        participant: ana,
        referrer: bo,
        recipientRole: 'referrer',
        reward,
      });
      expect(data.recipient).toMatchObject({ id: 'bo', firstName: 'Bo', lastName: null });
      expect(data.recipientRole).toBe('referrer');
      expect(data.reward).toMatchObject({ amount: 25.5, taxableUsd: 25.5 });
      expect(data.event).toBeNull();
    });

    it('gives optional variables as null and leaves required ones out, so rendering names them', () => {
      const data = service.buildData('generic', { program, participant: ana });
      expect(data.referrer).toBeNull();
      expect(data.reward).toBeNull();
      expect('event' in data).toBe(false);
    });

    it('builds data that renders exactly like the sample of the same shape', async () => {
      const sample = sampleEmailData('generic', 'en');
      const data = service.buildData('generic', {
        program: { ...sample.program, settings: { branding: sample.program.branding } },
        participant: sample.participant,
        referrer: sample.referrer,
        reward: sample.reward!,
        event: {
          type: sample.event.type,
          data: sample.event.data,
          occurredAt: sample.event.occurredAt,
        },
        // Filled by delivery, as a send fills it.
        extra: { unsubscribeUrl: sample.unsubscribeUrl },
      });
      const renderer = new TemplateRenderer();
      const input = { programId: null, key: 'generic', locales: ['en'] };
      expect(await service.render({ ...input, data })).toEqual(
        await renderer.render({ ...input, data: sample }),
      );
    });
  });
});
