import { domainOf, normaliseEmail } from './email-normalisation';

describe(normaliseEmail.name, () => {
  it.each([
    ['Jane.Doe@Example.COM', 'jane.doe@example.com', 'lower-cases the whole address'],
    ['j.a.n.e@gmail.com', 'jane@gmail.com', 'drops dots at Gmail'],
    ['Jane.Doe+promo@googlemail.com', 'janedoe@gmail.com', 'reads googlemail.com as gmail.com'],
    ['jane+ref1@gmail.com', 'jane@gmail.com', 'drops a +tag at Gmail'],
    ['jane+ref1+x@example.com', 'jane@example.com', 'drops a +tag at any domain'],
    ['j.doe@example.com', 'j.doe@example.com', 'keeps dots at other domains'],
    ['+jane@example.com', '+jane@example.com', 'keeps a local part that starts with +'],
    ['  jane@Example.com.  ', 'jane@example.com', 'trims spaces and the root dot'],
    ['not-an-address', 'not-an-address', 'leaves text without @ as it is, lower case'],
  ])('%s → %s (%s)', (input, expected) => {
    expect(normaliseEmail(input)).toBe(expected);
  });

  it('tells apart two addresses that differ by dots at a non-Gmail domain', () => {
    expect(normaliseEmail('jane.doe@company.io')).not.toBe(normaliseEmail('janedoe@company.io'));
  });

  it('matches two spellings of one Gmail mailbox', () => {
    expect(normaliseEmail('Jane.Doe+a@googlemail.com')).toBe(normaliseEmail('janedoe@gmail.com'));
  });
});

describe(domainOf.name, () => {
  it.each([
    ['a@Mailinator.com', 'mailinator.com'],
    ['a@b@example.org.', 'example.org'],
    ['nobody', null],
    ['trailing@', null],
  ])('%s → %s', (input, expected) => {
    expect(domainOf(input)).toBe(expected);
  });
});
