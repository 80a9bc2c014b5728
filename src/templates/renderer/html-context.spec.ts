import Handlebars from 'handlebars';
import { DefaultTemplateStore } from './default-template-store';
import { checkHtmlContexts } from './html-context';
import { scanTemplate } from './template-limits';
import { TEMPLATE_PARTIALS } from './template-helpers';
import { validateTemplate } from './template-validator';

/** What each `href` of a partial is given to: a helper's name, or `text` when written as it is. */
function usesOfHref(ast: hbs.AST.Program): string[] {
  const uses: string[] = [];
  const isHref = (e: unknown) =>
    (e as hbs.AST.PathExpression)?.type === 'PathExpression' &&
    (e as hbs.AST.PathExpression).original === 'href';
  const call = (node: hbs.AST.MustacheStatement | hbs.AST.SubExpression): void => {
    const name = (node.path as hbs.AST.PathExpression).original;
    if (isHref(node.path)) uses.push('text');
    for (const e of [...node.params, ...(node.hash?.pairs ?? []).map((p) => p.value)]) {
      if (isHref(e)) uses.push(name);
      if (e.type === 'SubExpression') call(e as hbs.AST.SubExpression);
    }
  };
  const program = (p: hbs.AST.Program | undefined): void => {
    for (const s of p?.body ?? []) {
      if (s.type === 'MustacheStatement') call(s as hbs.AST.MustacheStatement);
      if (s.type === 'BlockStatement') {
        const b = s as hbs.AST.BlockStatement;
        call(b as unknown as hbs.AST.SubExpression);
        program(b.program);
        program(b.inverse);
      }
    }
  };
  program(ast);
  return uses;
}

const problems = (html: string): string[] =>
  validateTemplate('generic', { subject: 'Hi', html }).map(
    (p) => `${p.line}:${p.column} ${p.message}`,
  );

describe('values in HTML contexts', () => {
  it.each([
    ['text', '<p>{{event.type}}</p>'],
    ['a quoted attribute', '<p title="{{event.type}}" class=\'x {{event.type}}\'>x</p>'],
    ['a comment', '<!-- {{event.type}} --><!--[if mso]>{{event.type}}<![endif]-->'],
    ['the link helper in href', '<a href="{{link event.data.url}}">Open</a>'],
    [
      'the link helper in src and srcset',
      '<img src="{{link event.data.url}}" srcset="{{link event.data.url}} 2x">',
    ],
    ['the link helper in text', '<p>{{link event.data.url "Open"}}</p>'],
    [
      'a value after a fixed https://host/',
      '<a href="https://acme.example/r/{{participant.id}}?c={{event.type}}">x</a>',
    ],
    ['a value after mailto:', '<a href="mailto:{{participant.email}}">mail</a>'],
    [
      'a block around whole attributes',
      '<a {{#if event.type}}class="on"{{/if}} href="{{link event.data.url}}">x</a>',
    ],
    [
      'a block inside one attribute value',
      '<a class="a {{#if event.type}}b{{else}}c{{/if}}">x</a>',
    ],
    [
      'links chosen by a block inside href',
      '<a href="{{#if event.type}}{{link event.data.url}}{{else}}{{link event.data.other}}{{/if}}">x</a>',
    ],
    ['partials between tags', '<td>{{> button href=event.data.url label="Open"}}</td>'],
    ['a value in <title>', '<html><head><title>{{event.type}}</title></head><body>x</body></html>'],
    ['an escaped mustache in an attribute', '<a href="\\{{event.data.url}}">x</a>'],
    [
      'the link helper in an Outlook conditional comment',
      '<!--[if mso]><v:roundrect href="{{link event.data.url}}"><center>{{event.type}}</center></v:roundrect><![endif]-->',
    ],
  ])('accepts %s', (_what, html) => {
    expect(problems(html)).toEqual([]);
  });

  it.each([
    [
      'a value in href',
      '<p>\n  <a href="{{event.data.url}}">Open</a></p>',
      '2:12 {{event.data.url}} fills the href attribute of <a>, a URL: a value there could be a javascript: link. Use {{link event.data.url}}, which lets only http and https links through: href="{{link event.data.url}}".',
    ],
    [
      'a value in src',
      '<img src="{{event.data.url}}">',
      '1:11 {{event.data.url}} fills the src attribute of <img>, a URL: a value there could be a javascript: link. Use {{link event.data.url}}, which lets only http and https links through: src="{{link event.data.url}}".',
    ],
    [
      'a value in background',
      "<td background='{{event.data.url}}'>x</td>",
      '1:17 {{event.data.url}} fills the background attribute of <td>, a URL: a value there could be a javascript: link. Use {{link event.data.url}}, which lets only http and https links through: background="{{link event.data.url}}".',
    ],
    [
      'a value in xlink:href',
      '<svg><a xlink:href="{{event.data.url}}">x</a></svg>',
      '1:21 {{event.data.url}} fills the xlink:href attribute of <a>, a URL: a value there could be a javascript: link. Use {{link event.data.url}}, which lets only http and https links through: xlink:href="{{link event.data.url}}".',
    ],
    [
      'a value starting srcset',
      '<img srcset="https://acme.example/a.png 1x, {{event.data.url}} 2x">',
      '1:45 {{event.data.url}} fills the srcset attribute of <img>, a URL: a value there could be a javascript: link. Use {{link event.data.url}}, which lets only http and https links through: srcset="{{link event.data.url}}".',
    ],
    [
      'a value as the host',
      '<a href="https://{{event.type}}">x</a>',
      '1:18 {{event.type}} fills the href attribute of <a>, a URL: a value there could be a javascript: link. Use {{link event.type}}, which lets only http and https links through: href="{{link event.type}}".',
    ],
    [
      'a helper result in href',
      '<a href="{{lookup event.data "url"}}">x</a>',
      '1:10 {{lookup event.data …}} fills the href attribute of <a>, a URL: a value there could be a javascript: link. Use {{link …}}, which lets only http and https links through: href="{{link …}}".',
    ],
    [
      'a value in the content of a meta refresh',
      '<meta http-equiv="refresh" content="0;url={{event.data.url}}">',
      '1:43 {{event.data.url}} fills the content attribute of <meta>, a URL: a value there could be a javascript: link. Use {{link event.data.url}}, which lets only http and https links through: content="{{link event.data.url}}".',
    ],
    [
      'a value in href inside an Outlook conditional comment, which Outlook reads as HTML',
      '<!--[if mso]>\n<v:roundrect href="{{event.data.url}}"></v:roundrect>\n<![endif]-->',
      '2:20 {{event.data.url}} fills the href attribute of <v:roundrect>, a URL: a value there could be a javascript: link. Use {{link event.data.url}}, which lets only http and https links through: href="{{link event.data.url}}".',
    ],
    [
      'a value in style',
      '<p style="color:{{event.type}}">x</p>',
      '1:17 {{event.type}} fills the style attribute of <p>: values cannot be used in styles. Write the style in the template without values.',
    ],
    [
      'the link helper in style',
      '<td style="background:url({{link event.data.url}})">x</td>',
      '1:27 {{link event.data.url}} fills the style attribute of <td>: values cannot be used in styles. Write the style in the template without values.',
    ],
    [
      'a value in <style>',
      '<style>\np { color: {{event.type}}; }\n</style>',
      '2:12 {{event.type}} is inside <style>: values cannot be used in styles. Write the style in the template without values.',
    ],
    [
      'a value in <script>',
      '<script>var a = "{{event.type}}";</script>',
      '1:18 {{event.type}} is inside <script>: values cannot be used in scripts. Write the script in the template without values.',
    ],
    [
      'a value in onclick',
      '<a onclick="{{event.type}}">x</a>',
      '1:13 {{event.type}} fills the onclick attribute of <a>, which runs as a script: values cannot be used there.',
    ],
    [
      'the link helper in onmouseover',
      '<img onmouseover="{{link event.data.url}}">',
      '1:19 {{link event.data.url}} fills the onmouseover attribute of <img>, which runs as a script: values cannot be used there.',
    ],
    [
      'a value as an attribute',
      '<p {{event.type}}>x</p>',
      '1:4 {{event.type}} is inside the <p> tag, outside a quoted attribute value: a value there could add attributes. Put it inside quotes: title="{{event.type}}".',
    ],
    [
      'a value as a tag name',
      '<{{event.type}}>x',
      '1:2 {{event.type}} is inside the <{{event.type}}> tag, outside a quoted attribute value: a value there could add attributes. Put it inside quotes: title="{{event.type}}".',
    ],
    [
      'a value without quotes',
      '<p title={{event.type}}>x</p>',
      '1:10 {{event.type}} fills the title attribute of <p> without quotes: a space in the value would start another attribute. Quote it: title="{{event.type}}".',
    ],
    [
      'a label given to {{link}} in an attribute',
      '<a href="{{link event.data.url "Open"}}">x</a>',
      '1:10 In an attribute, {{link}} writes only the URL: href="{{link event.data.url}}", without a label or style.',
    ],
    [
      'a value as the style of {{link}}',
      '<p>{{link event.data.url "Open" style=event.type}}</p>',
      '1:39 The style of {{link}} must be written in the template (style="color:#1d4ed8"); a value cannot be used in a style.',
    ],
    [
      'a partial inside a tag',
      '<a title="{{> button href=event.data.url label="x"}}">x</a>',
      '1:11 Partials insert HTML; use {{> button …}} between tags, not inside the title attribute of <a>.',
    ],
    [
      'a block that opens an attribute in one branch only',
      '<a {{#if event.type}}href="{{else}}title="{{/if}}x">y</a>',
      '1:28 This block starts inside the <a> tag and reaches here inside the href attribute of <a>; open and close it in the same place (both inside one attribute value, or both between tags).',
    ],
    [
      'a block that builds an attribute name',
      '<a {{#if event.type}}on{{/if}}click="{{event.type}}">x</a>',
      '1:24 A block inside the <a> tag must stand between attributes, after a space; put the whole attribute inside it.',
    ],
  ])('refuses %s, with its line, column and the fix', (_what, html, message) => {
    expect(problems(html)).toEqual([message]);
  });

  it('checks only the HTML part: subject and text are not HTML', () => {
    expect(
      validateTemplate('generic', {
        subject: '<a href="{{event.type}}">',
        html: '<p>x</p>',
        text: 'Open <a href="{{event.data.url}}">',
      }),
    ).toEqual([]);
  });

  describe('the templates we ship', () => {
    const store = new DefaultTemplateStore();

    it.each(
      store.keys().flatMap((key) => store.locales(key).map((locale) => [key, locale] as const)),
    )('%s/%s puts no value in a URL, style, script or event attribute', (key, locale) => {
      const html = store.get(key, locale)!.html;
      const result = checkHtmlContexts(
        html,
        Handlebars.parse(html),
        scanTemplate('html', html).tags,
      );
      expect(result.problems).toEqual([]);
    });

    // {{> button href=…}} passes a value into a partial: the partials are ours, and each uses
    // its href only through {{link}} (http and https only) and puts values only in text. That is
    // checked here, on their own sources, by the same rules as a program's template.
    it.each(Object.keys(TEMPLATE_PARTIALS))(
      'the %s partial uses its href only through {{link}}',
      (name) => {
        for (const locale of ['en', 'es', 'pt-BR']) {
          const { source } = store.partial(name, 'html', [locale])!;
          const ast = Handlebars.parse(source);
          const result = checkHtmlContexts(source, ast, scanTemplate('html', source).tags);
          expect(result.problems).toEqual([]);
          expect(usesOfHref(ast)).toEqual(['link']);
        }
      },
    );

    it('the layouts put no value in a URL, style, script or event attribute', () => {
      const html = store.layout('html');
      expect(
        checkHtmlContexts(html, Handlebars.parse(html), scanTemplate('html', html).tags).problems,
      ).toEqual([]);
    });
  });
});
