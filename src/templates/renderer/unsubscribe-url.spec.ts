import { DefaultTemplateStore } from './default-template-store';
import { SAMPLE_UNSUBSCRIBE_URL, sampleEmailData, withOptionalEmpty } from './email-samples';
import { EMAIL_TYPE_KEYS, EMAIL_TYPES, hasUnsubscribeUrl } from './email-types';
import { TemplateRenderer } from './template-renderer';

describe('unsubscribeUrl', () => {
  const renderer = new TemplateRenderer({ defaults: new DefaultTemplateStore() });
  const render = (key: string, data: Record<string, unknown>) =>
    renderer.render({ programId: null, key, locales: ['en'], data });

  it('is a variable of exactly the email types a recipient may leave', () => {
    for (const key of EMAIL_TYPE_KEYS)
      expect([key, hasUnsubscribeUrl(key)]).toEqual([
        key,
        EMAIL_TYPES[key].category !== 'transactional',
      ]);
    // A program's own key renders as generic, which has it.
    expect(hasUnsubscribeUrl('spring-promo')).toBe(true);
  });

  it('has a sample in previews, and is empty in the optional-empty sample', () => {
    expect(sampleEmailData('reward-earned')).toMatchObject({
      unsubscribeUrl: SAMPLE_UNSUBSCRIBE_URL,
    });
    expect(sampleEmailData('spring-promo')).toMatchObject({
      unsubscribeUrl: SAMPLE_UNSUBSCRIBE_URL,
    });
    expect('unsubscribeUrl' in sampleEmailData('password-reset')).toBe(false);
    expect(withOptionalEmpty('generic', sampleEmailData('generic'))).toMatchObject({
      unsubscribeUrl: null,
    });
  });

  it('puts the link in the footer when there is one, and no line when it is null', async () => {
    const link = 'https://notify.example/p/unsubscribe/t0k3n';
    const withLink = await render('generic', {
      ...sampleEmailData('generic'),
      unsubscribeUrl: link,
    });
    expect(withLink.html).toContain(`<a href="${link}"`);
    expect(withLink.text).toContain(`Unsubscribe or choose which emails you get: ${link}`);
    const without = await render('generic', {
      ...sampleEmailData('generic'),
      unsubscribeUrl: null,
    });
    expect(without.html).not.toContain('Unsubscribe');
    expect(without.text).not.toContain('Unsubscribe');
  });

  it('never puts one under a transactional email, whatever its data says', async () => {
    const out = await render('password-reset', {
      ...sampleEmailData('password-reset'),
      unsubscribeUrl: 'https://notify.example/p/unsubscribe/t0k3n',
    });
    expect(out.html).not.toContain('/p/unsubscribe/');
    expect(out.text).not.toContain('/p/unsubscribe/');
  });

  it('refuses a link that is not http or https', async () => {
    await expect(
      render('generic', { ...sampleEmailData('generic'), unsubscribeUrl: 'javascript:alert(1)' }),
    ).rejects.toThrow(/only http and https/);
  });
});
