import { DefaultTemplateStore } from './default-template-store';
import { closest, validateTemplate, type TemplateValidationError } from './template-validator';

const html = (key: string, source: string): TemplateValidationError[] =>
  validateTemplate(key, { subject: 'Hello', html: source });
const messages = (key: string, source: string): string[] => html(key, source).map((e) => e.message);

describe(validateTemplate.name, () => {
  describe('default templates', () => {
    const store = new DefaultTemplateStore();
    const cases = store
      .keys()
      .flatMap((key) => store.locales(key).map((locale) => [key, locale] as const));

    it.each(cases)('accepts %s/%s', (key, locale) => {
      expect(validateTemplate(key, store.get(key, locale)!)).toEqual([]);
    });
  });

  describe('syntax errors', () => {
    it.each([
      [
        'an unclosed mustache',
        '<p>Hello</p>\n<p>{{participant.firstName}</p>',
        2,
        27,
        'Syntax error: unexpected "}"; expected "}}"',
      ],
      [
        'a block closed by another',
        '<p>\n  {{#if participant.firstName}}x{{/each}}</p>',
        2,
        6,
        "Syntax error: if doesn't match each",
      ],
      [
        'a block never closed, where it opened',
        'a\n{{#if participant.firstName}}\nb',
        2,
        1,
        'Syntax error: {{#if participant.firstName}} is never closed; add {{/if}} where the block ends.',
      ],
      [
        'the block never closed among closed ones',
        '<p>\n  {{#if participant.firstName}}\n  {{#if participant.lastName}}x{{/if}}\n</p>\n<p>end</p>',
        2,
        3,
        'Syntax error: {{#if participant.firstName}} is never closed; add {{/if}} where the block ends.',
      ],
      [
        'the innermost of two blocks never closed',
        '{{#with participant}}\n  {{#unless firstName}}\nnone',
        2,
        3,
        'Syntax error: {{#unless firstName}} is never closed; add {{/unless}} where the block ends.',
      ],
      ['a stray else', 'x {{else}}', 1, 3, 'Syntax error: {{else}} outside of a block'],
      ['an empty partial name', '{{> }}', 1, 5, 'Syntax error: unexpected "}}"; expected a name'],
      [
        'an unclosed comment',
        'ok\n{{!-- note',
        2,
        1,
        'Syntax error: unrecognized text (an unclosed comment or string?)',
      ],
    ])('reports %s with its line and column', (_what, source, line, column, message) => {
      expect(html('verification', source)).toEqual([{ part: 'html', line, column, message }]);
    });

    it('names the part the error is in', () => {
      const errors = validateTemplate('verification', {
        subject: 'Hi {{participant.firstName',
        html: '<p>ok</p>',
        text: '{{#if x}}',
      });
      expect(errors.map((e) => [e.part, e.line])).toEqual([
        ['subject', 1],
        ['text', 1],
      ]);
    });
  });

  describe('unknown variables', () => {
    it('names the variable, where it is, and the closest known name', () => {
      expect(html('verification', '<p>Hi</p>\n  <p>{{participant.firstNmae}}</p>')).toEqual([
        {
          part: 'html',
          line: 2,
          column: 8,
          message:
            'Unknown variable "participant.firstNmae". Did you mean "participant.firstName"?',
        },
      ]);
    });

    it.each([
      [
        'verification',
        '{{partcipant.email}}',
        'Unknown variable "partcipant". Did you mean "participant"?',
      ],
      ['verification', '{{verifyURL}}', 'Unknown variable "verifyURL". Did you mean "verifyUrl"?'],
      [
        'verification',
        '{{resetUrl}}',
        'Unknown variable "resetUrl". Available here: participant, program, verifyUrl, expiresInHours.',
      ],
      [
        'verification',
        '{{reward.amount}}',
        'Unknown variable "reward". Available here: participant, program, verifyUrl, expiresInHours.',
      ],
      [
        'verification',
        '{{event.data.code}}',
        'Unknown variable "event". Available here: participant, program, verifyUrl, expiresInHours.',
      ],
      [
        'verification',
        '{{participant.email.domain}}',
        '"participant.email" is text; it has no field "domain".',
      ],
      [
        'w9-required',
        '{{program.brandng}}',
        'Unknown variable "program.brandng". Did you mean "program.branding"?',
      ],
      [
        'generic',
        '{{event.details.name}}',
        '"event.details" is a list; go through it with {{#each event.details}}…{{/each}}.',
      ],
      [
        'generic',
        '{{participant}}',
        '"participant" is an object; name one of its fields, e.g. participant.id.',
      ],
      [
        'generic',
        '{{event.details}}',
        '"event.details" is a list; go through it with {{#each event.details}}…{{/each}}.',
      ],
    ])('in %s, %s is refused', (key, source, message) => {
      expect(messages(key, source)).toEqual([message]);
    });

    it.each([
      ['generic', '{{event.data.order.total}} {{event.data.[line items].[0]}}'],
      ['generic', '{{participant.customFields.tier}} {{recipient.customFields.any.depth}}'],
      [
        'reward-earned',
        '{{#if referrer}}{{referrer.email}}{{/if}} {{#if event}}{{event.data.x}}{{/if}}',
      ],
      ['generic', '{{event.details.length}} {{event.details.0.name}}'],
      [
        'spring-promo',
        '{{recipient.email}} {{event.type}} {{#if reward}}{{money reward.amount reward.currency}}{{/if}}',
      ],
    ])('in %s, accepts %s', (key, source) => {
      expect(html(key, source)).toEqual([]);
    });

    it("checks a program's own key against the generic contract", () => {
      expect(messages('spring-promo', '{{verifyUrl}}')).toEqual([
        expect.stringMatching(/^Unknown variable "verifyUrl"\./),
      ]);
    });
  });

  describe('blocks that change the context', () => {
    it.each([
      [
        '{{#each event.details}}{{name}}={{value}} {{@index}} {{@first}} {{@last}} {{@key}}{{/each}}',
      ],
      [
        '{{#each event.details as |row i|}}{{row.name}} {{i}} {{../participant.email}} {{@root.program.name}}{{/each}}',
      ],
      ['{{#with participant}}{{email}} {{customFields.tier}}{{/with}}'],
      ['{{#with participant as |p|}}{{p.email}}{{/with}}'],
      ['{{#each event.data.items}}{{this.sku}} {{.}}{{/each}}'],
      ['{{#each event.details}}{{#each ../event.details}}{{name}}{{/each}}{{else}}none{{/each}}'],
    ])('accepts %s', (source) => {
      expect(html('generic', source)).toEqual([]);
    });

    it.each([
      ['{{#each event.details}}{{nmae}}{{/each}}', 'Unknown variable "nmae". Did you mean "name"?'],
      [
        '{{#each event.details as |row|}}{{row.vlaue}}{{/each}}',
        'Unknown variable "row.vlaue". Did you mean "row.value"?',
      ],
      [
        '{{#each event.details}}{{participant.email}}{{/each}}',
        'Unknown variable "participant" inside {{#each event.details}}, where the context is the current item. Use @root.participant.email.',
      ],
      [
        '{{#with participant}}{{frstName}}{{/with}}',
        'Unknown variable "frstName". Did you mean "firstName"?',
      ],
      [
        '{{#each participant.email}}x{{/each}}',
        '{{#each}} needs a list; "participant.email" is text.',
      ],
      [
        '{{#with event.details}}x{{/with}}',
        '{{#with}} needs an object; "event.details" is a list.',
      ],
      ['{{@index}}', '"@index" only exists inside {{#each}}.'],
      ['{{@locale}}', 'Unknown data variable "@locale". Available: @root.'],
      [
        '{{../participant.email}}',
        '"../participant.email" goes above the top level; remove a "../".',
      ],
      [
        '{{#participant}}{{email}}{{/participant}}',
        '{{#participant}} sections are not supported; use {{#if participant}} or {{#with participant}}.',
      ],
    ])('refuses %s', (source, message) => {
      expect(messages('generic', source)).toEqual([message]);
    });
  });

  describe('helpers', () => {
    it.each([
      [
        '{{moeny reward.amount reward.currency}}',
        'Unknown helper "moeny". Did you mean "money"? Helpers: if, unless, each, with, lookup, eq, money, date, link, default.',
      ],
      [
        '{{uppercase participant.firstName}}',
        'Unknown helper "uppercase". Helpers: if, unless, each, with, lookup, eq, money, date, link, default.',
      ],
      [
        '{{log participant.email}}',
        'Unknown helper "log". Helpers: if, unless, each, with, lookup, eq, money, date, link, default.',
      ],
      ['{{#money reward.amount}}x{{/money}}', '"money" is not a block helper; write {{money …}}.'],
      ['{{if reward}}', '"if" is a block helper: {{#if value}}…{{else}}…{{/if}}'],
      ['{{date}}', '"date" takes 1 to 2 arguments, got 0: {{date reward.createdAt "long"}}'],
      ['{{#if}}x{{/if}}', '"if" takes 1 argument, got 0: {{#if value}}…{{else}}…{{/if}}'],
      [
        '{{date reward.createdAt "longest"}}',
        'Unknown date format "longest"; use one of short, medium, long, datetime, time, year, iso.',
      ],
      [
        '{{money participant.email "USD"}}',
        '"money" expects a number; "participant.email" is text.',
      ],
      ['{{date participant.email}}', '"date" expects a date; "participant.email" is text.'],
      ['{{link reward.amount}}', '"link" expects a URL; "reward.amount" is a number.'],
      ['{{link participant.email "x" target="_blank"}}', '"link" has no option "target".'],
      [
        '{{#if (eq reward.kind "cahs")}}x{{/if}}',
        '"reward.kind" is never "cahs"; it is one of cash, credit, discount, gift_card, points.',
      ],
      [
        '{{lookup participant "firstNmae"}}',
        '"participant" has no field "firstNmae". Did you mean "firstName"?',
      ],
    ])('refuses %s', (source, message) => {
      expect(messages('reward-earned', source)).toEqual([message]);
    });

    it.each([
      [
        'reward-earned',
        '{{money reward.amount reward.currency}} {{money reward.amount null}} {{money 5 "EUR" "de"}}',
      ],
      ['generic', '{{money event.data.total event.data.currency}} {{date event.data.when "iso"}}'],
      ['reward-earned', '{{date reward.createdAt}} {{date reward.createdAt "datetime"}}'],
      ['generic', '{{link event.data.url "Open"}} {{link event.data.url style="color:red"}}'],
      [
        'reward-earned',
        '{{#if (eq recipientRole "referrer")}}a{{else if (eq reward.kind "points")}}b{{else}}c{{/if}}',
      ],
      [
        'generic',
        '{{#unless reward}}none{{/unless}} {{lookup event.data "any key"}} {{lookup reward "amount"}}',
      ],
    ])('in %s, accepts %s', (key, source) => {
      expect(html(key, source)).toEqual([]);
    });
  });

  describe('values that can be null', () => {
    it.each([
      [
        'generic',
        '{{reward.amount}}',
        '"reward" can be null; use it inside {{#if reward}}…{{/if}}.',
      ],
      [
        'generic',
        '{{money reward.amount "USD"}}',
        '"reward" can be null; use it inside {{#if reward}}…{{/if}}.',
      ],
      [
        'generic',
        '{{#if reward.amount}}x{{/if}}',
        '"reward" can be null; use it inside {{#if reward}}…{{/if}}.',
      ],
      [
        'generic',
        '{{#if referrer}}x{{/if}}{{referrer.email}}',
        '"referrer" can be null; use it inside {{#if referrer}}…{{/if}}.',
      ],
      [
        'generic',
        '{{#if reward}}{{else}}{{reward.kind}}{{/if}}',
        '"reward" can be null; use it inside {{#if reward}}…{{/if}}.',
      ],
      [
        'reward-earned',
        '{{event.type}}',
        '"event" can be null; use it inside {{#if event}}…{{/if}}.',
      ],
    ])('in %s, refuses %s', (key, source, message) => {
      expect(messages(key, source)).toEqual([message]);
    });

    it.each([
      ['{{#if reward}}{{reward.amount}} {{money reward.amount reward.currency}}{{/if}}'],
      ['{{#with reward}}{{amount}}{{else}}none{{/with}}'],
      ['{{#unless reward}}none{{else}}{{reward.kind}}{{/unless}}'],
      [
        '{{#if referrer}}{{#each event.details}}{{../referrer.email}} {{@root.referrer.email}}{{/each}}{{/if}}',
      ],
      ['{{#if @root.reward}}{{reward.kind}}{{/if}}'],
      [
        '{{default participant.firstName "there"}} {{#if referrer}}{{#if referrer.firstName}}{{referrer.firstName}}{{/if}}{{/if}}',
      ],
      ['{{#unless participant.lastName}}-{{else}}{{participant.lastName}}{{/unless}}'],
    ])('accepts %s', (source) => {
      expect(html('generic', source)).toEqual([]);
    });

    it.each([
      [
        'generic',
        'Welcome, {{participant.firstName}}!',
        1,
        10,
        '"participant.firstName" is optional and can be empty, which would leave a blank. Give a fallback, {{default participant.firstName "there"}}, or show it only when it is there: {{#if participant.firstName}}…{{participant.firstName}}…{{/if}}.',
      ],
      [
        'generic',
        '<p>\n  {{#if referrer}}Hi {{referrer.firstName}}{{/if}}</p>',
        2,
        22,
        '"referrer.firstName" is optional and can be empty, which would leave a blank. Give a fallback, {{default referrer.firstName "there"}}, or show it only when it is there: {{#if referrer.firstName}}…{{referrer.firstName}}…{{/if}}.',
      ],
      [
        'generic',
        '{{#with participant}}{{lastName}}{{/with}}',
        1,
        22,
        '"lastName" is optional and can be empty, which would leave a blank. Give a fallback, {{default lastName "there"}}, or show it only when it is there: {{#if lastName}}…{{lastName}}…{{/if}}.',
      ],
      [
        'program-alert',
        '{{date alert.until "long"}}',
        1,
        8,
        '"alert.until" can be empty, and {{date}} needs a value; use it inside {{#if alert.until}}…{{/if}}.',
      ],
      [
        'generic',
        '{{default participant.firstName participant.lastName}}',
        1,
        33,
        'The fallback "participant.lastName" can be empty too; give a text, such as {{default participant.firstName "there"}}.',
      ],
      [
        'generic',
        '{{lookup participant "firstName"}}',
        1,
        1,
        '{{lookup participant "firstName"}} can be empty; show it inside {{#if}}, or give a fallback with {{default (lookup …) "…"}}.',
      ],
    ])(
      'in %s, refuses the optional value in %j at its line and column, with the fix',
      (key, source, line, column, message) => {
        expect(validateTemplate(key, { subject: 's', html: source })).toEqual([
          { part: 'html', line, column, message },
        ]);
      },
    );

    it('refuses an optional value in the subject and the text too', () => {
      expect(
        validateTemplate('generic', {
          subject: 'Welcome, {{participant.firstName}}!',
          html: '<p>x</p>',
          text: 'Hi {{participant.firstName}}',
        }).map((p) => [p.part, p.line, p.column]),
      ).toEqual([
        ['subject', 1, 10],
        ['text', 1, 4],
      ]);
    });
  });

  describe('unsafe constructs', () => {
    it.each([
      ['{{constructor.constructor}}', '"constructor" cannot be used in a template.'],
      ['{{__proto__}}', '"__proto__" cannot be used in a template.'],
      ['{{participant.__proto__.polluted}}', '"__proto__" cannot be used in a template.'],
      ['{{event.data.constructor}}', '"constructor" cannot be used in a template.'],
      ['{{lookup participant "constructor"}}', '"constructor" cannot be used in a template.'],
      [
        '{{{participant.email}}}',
        'Triple braces {{{…}}} and {{&…}} insert raw HTML; use {{…}} so the value is escaped.',
      ],
      [
        '{{& participant.email}}',
        'Triple braces {{{…}}} and {{&…}} insert raw HTML; use {{…}} so the value is escaped.',
      ],
      ['{{*decorator}}', 'Decorators ({{* …}}) are not supported.'],
    ])('refuses %s', (source, message) => {
      expect(messages('generic', source)).toEqual([message]);
    });

    it('refuses the known prototype-pollution payload', () => {
      const payload =
        '{{#with "s" as |string|}}{{#with string.split as |codelist|}}{{this.push (lookup string.sub "constructor")}}{{#with (string.sub.apply 0 codelist)}}{{this}}{{/with}}{{/with}}{{/with}}';
      const found = messages('generic', payload);
      expect(found).toEqual(
        expect.arrayContaining([
          '"constructor" cannot be used in a template.',
          expect.stringMatching(/^Unknown helper "string\.sub\.apply"/),
        ]),
      );
    });

    it('lets subject and text use triple braces: they are not HTML', () => {
      expect(
        validateTemplate('generic', {
          subject: '{{{participant.email}}}',
          html: '<p>x</p>',
          text: '{{{participant.email}}}',
        }),
      ).toEqual([]);
    });
  });

  describe('partials', () => {
    it.each([
      ['{{> button href=event.data.url label="Open"}}', []],
      ['{{> fallback-link href=event.data.url}}', []],
      ['{{> footer}}', ['Unknown partial "footer". Partials: button, fallback-link.']],
      [
        '{{> buton href=event.data.url label="x"}}',
        ['Unknown partial "buton". Did you mean "button"? Partials: button, fallback-link.'],
      ],
      ['{{> button href=event.data.url}}', ['Partial "button" needs label=….']],
      [
        '{{> button href=event.data.url label="x" color="red"}}',
        ['Partial "button" has no option "color"; it takes href, label.'],
      ],
      [
        '{{> button href=participant.nope label="x"}}',
        [
          'Unknown variable "participant.nope". Available here: id, email, firstName, lastName, locale, country, customFields.',
        ],
      ],
      ['{{> (event.type)}}', ['Dynamic partials ({{> (…)}}) are not supported.']],
      [
        '{{#> button}}x{{/button}}',
        ['Partial blocks ({{#> …}}) are not supported; use {{> name}}.'],
      ],
    ])('in HTML, %s gives %j', (source, expected) => {
      expect(messages('generic', source)).toEqual(expected);
    });

    it('refuses partials outside the HTML part', () => {
      const errors = validateTemplate('generic', {
        subject: 'x',
        html: 'x',
        text: '{{> button href=event.data.url label="x"}}',
      });
      expect(errors).toEqual([
        {
          part: 'text',
          line: 1,
          column: 1,
          message: 'Partials can only be used in the HTML part.',
        },
      ]);
    });
  });
});

describe(closest.name, () => {
  it.each([
    ['firstNmae', ['firstName', 'lastName', 'email'], 'firstName'],
    ['lastname', ['firstName', 'lastName'], 'lastName'],
    ['emial', ['email', 'id'], 'email'],
    ['zzzzzz', ['email', 'id'], undefined],
  ])('suggests %p from %j', (name, candidates, expected) => {
    expect(closest(name, candidates)).toBe(expected);
  });
});
