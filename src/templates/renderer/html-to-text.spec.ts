import { htmlToText } from './html-to-text';

describe(htmlToText.name, () => {
  it.each([
    [
      'paragraphs',
      '<p>Hello <b>Ana</b>,</p>\n<p>Second   paragraph\n spread over lines.</p>',
      'Hello Ana,\n\nSecond paragraph spread over lines.',
    ],
    ['line breaks', 'One<br>Two<br/>Three', 'One\nTwo\nThree'],
    ['headings', '<h1>Title</h1><p>Body</p>', 'Title\n\nBody'],
    [
      'links as "text (url)"',
      '<p>Go <a href="https://x.example/a?b=1&amp;c=2" style="color:red">to the shop</a>.</p>',
      'Go to the shop (https://x.example/a?b=1&c=2).',
    ],
    [
      'a link whose text is its URL',
      '<a href="https://x.example/">https://x.example/</a>',
      'https://x.example/',
    ],
    ['a mailto link', '<a href="mailto:help@x.example">help@x.example</a>', 'help@x.example'],
    ['a link that is not http', '<a href="javascript:alert(1)">Click</a>', 'Click'],
    ['lists', '<ul><li>One</li><li>Two</li></ul><p>After</p>', '- One\n- Two\n\nAfter'],
    [
      'table rows',
      '<table><tr><td>A</td><td>B</td></tr><tr><td>C</td><td>D</td></tr></table>',
      'A B\nC D',
    ],
    [
      'entities',
      '<p>Tom &amp; Jerry &#x27;x&#x27; &lt;tag&gt; &#8212; caf&eacute;&nbsp;!</p>',
      "Tom & Jerry 'x' <tag> — café\u00a0!",
    ],
    [
      'image alt text',
      '<p><img src="logo.png" alt="Brightside"> <img src="spacer.gif" alt=""></p>',
      'Brightside',
    ],
    ['a rule', '<p>a</p><hr><p>b</p>', 'a\n\n---\n\nb'],
    [
      'head, styles, scripts and comments',
      '<html><head><title>T</title><style>p{color:red}</style></head><body><!--[if mso]><table><tr><td><![endif]--><script>x()</script><p>Only this</p></body></html>',
      'Only this',
    ],
    ['blank runs', '<p>a</p>\n\n<div>&nbsp;</div><div></div>\n<p>b</p>', 'a\n\nb'],
  ])('converts %s', (_what, html, text) => {
    expect(htmlToText(html)).toBe(text);
  });

  it('keeps an entity-looking URL intact', () => {
    expect(htmlToText('<a href="https://x.example/?q=&amp;lt;">q</a>')).toBe(
      'q (https://x.example/?q=&lt;)',
    );
  });
});
