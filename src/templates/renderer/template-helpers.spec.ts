import { formatDate, formatMoney, safeUrl } from './template-helpers';

const NBSP = '\u00a0';

describe(formatMoney.name, () => {
  it.each([
    [25, 'USD', 'en', '$25.00'],
    [1234.5, 'USD', 'en', '$1,234.50'],
    [1234.5, 'USD', 'es', `1234,50${NBSP}US$`],
    [1234.5, 'EUR', 'es', `1234,50${NBSP}€`],
    [1234.5, 'USD', 'es-MX', `USD${NBSP}1,234.50`],
    [1234.5, 'MXN', 'es-MX', '$1,234.50'],
    [1234.5, 'USD', 'pt-BR', `US$${NBSP}1.234,50`],
    [1234.5, 'BRL', 'pt-BR', `R$${NBSP}1.234,50`],
    [1000, 'JPY', 'en', '¥1,000'],
    ['19.99', 'USD', 'en', '$19.99'],
    [1500, null, 'en', '1,500'],
    [1500, null, 'pt-BR', '1.500'],
    [2.5, undefined, 'es', '2,5'],
    [10, 'POINTS', 'en', '10 POINTS'],
  ])('formats %p %p in %s as %p', (amount, currency, locale, expected) => {
    expect(formatMoney(amount, currency, locale)).toBe(expected);
  });

  it.each([['abc'], [undefined], [null], [''], [Number.NaN], [{}]])(
    'refuses the amount %p',
    (amount) => {
      expect(() => formatMoney(amount, 'USD', 'en')).toThrow(/^money: expected a number/);
    },
  );
});

describe(formatDate.name, () => {
  const at = '2026-03-14T15:30:00.000Z';
  const ny = 'America/New_York';

  it.each([
    ['short', 'en', '03/14/2026'],
    ['short', 'es', '14/03/2026'],
    ['short', 'pt-BR', '14/03/2026'],
    ['medium', 'en', 'Mar 14, 2026'],
    ['medium', 'es', '14 mar 2026'],
    ['medium', 'pt-BR', '14 de mar. de 2026'],
    ['long', 'en', 'March 14, 2026'],
    ['long', 'es', '14 de marzo de 2026'],
    ['long', 'pt-BR', '14 de março de 2026'],
    ['datetime', 'en', 'March 14, 2026 at 11:30 AM EDT'],
    ['datetime', 'es', '14 de marzo de 2026 a las 11:30 GMT-4'],
    ['datetime', 'pt-BR', '14 de março de 2026 às 11:30 GMT-4'],
    ['time', 'en-GB', '11:30 GMT-4'],
    ['year', 'en', '2026'],
    ['iso', 'pt-BR', '2026-03-14'],
  ])('formats "%s" in %s as %p', (format, locale, expected) => {
    expect(formatDate(at, format, locale, ny)).toBe(expected);
  });

  it('uses the program time zone to pick the calendar day', () => {
    const lateEvening = '2026-03-15T02:00:00.000Z';
    expect(formatDate(lateEvening, 'long', 'en', ny)).toBe('March 14, 2026');
    expect(formatDate(lateEvening, 'long', 'en', 'UTC')).toBe('March 15, 2026');
    expect(formatDate(lateEvening, 'iso', 'en', 'Asia/Tokyo')).toBe('2026-03-15');
  });

  it('takes Date objects and epoch milliseconds', () => {
    expect(formatDate(new Date(at), 'iso', 'en', 'UTC')).toBe('2026-03-14');
    expect(formatDate(Date.parse(at), 'iso', 'en', 'UTC')).toBe('2026-03-14');
  });

  it.each([['not a date'], [undefined], [null], [{}]])('refuses %p', (value) => {
    expect(() => formatDate(value, 'long', 'en', 'UTC')).toThrow(/^date: expected a date/);
  });

  it('refuses an unknown format, listing the known ones', () => {
    expect(() => formatDate(at, 'fancy', 'en', 'UTC')).toThrow(
      'date: unknown format "fancy"; use one of short, medium, long, datetime, time, year, iso',
    );
  });
});

describe(safeUrl.name, () => {
  it.each([
    ['https://a.example/x?y=1', 'https://a.example/x?y=1'],
    ['http://a.example', 'http://a.example/'],
    ['  https://a.example/ü path ', 'https://a.example/%C3%BC%20path'],
  ])('accepts %p as %p', (url, expected) => {
    expect(safeUrl(url)).toBe(expected);
  });

  it.each([
    ['javascript:alert(1)'],
    ['JavaScript:alert(1)'],
    ['vbscript:x'],
    ['data:text/html,x'],
    ['file:///etc/passwd'],
    ['//a.example'],
    ['a.example'],
    [42],
    [null],
  ])('refuses %p', (url) => {
    expect(() => safeUrl(url)).toThrow(/^link: /);
  });
});
