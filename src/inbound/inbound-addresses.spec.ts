import { newTag } from '../common/crypto/tags';
import { decodeInboundAddress, forwardingAddress, returnPathAddress } from './inbound-addresses';

describe(decodeInboundAddress.name, () => {
  const tag = newTag();

  it('reads back the addresses it makes', () => {
    expect(
      decodeInboundAddress(returnPathAddress(tag, 'in.example.net'), 'in.example.net'),
    ).toEqual({
      kind: 'return-path',
      tag,
      domain: 'in.example.net',
    });
    expect(
      decodeInboundAddress(returnPathAddress(tag, 'bounces.acme.example'), 'in.example.net'),
    ).toEqual({
      kind: 'return-path',
      tag,
      domain: 'bounces.acme.example',
    });
    expect(
      decodeInboundAddress(forwardingAddress(tag, 'in.example.net'), 'IN.example.net'),
    ).toEqual({
      kind: 'forwarding',
      programTag: tag,
      domain: 'in.example.net',
    });
    // An unsubscribe address is read as one; whether we made it is for consent to check.
    const local = `u-${tag}${'a'.repeat(16)}`;
    expect(decodeInboundAddress(`${local.toUpperCase()}@in.example.net`, 'in.example.net')).toEqual(
      { kind: 'unsubscribe', localPart: local, domain: 'in.example.net' },
    );
  });

  it.each([
    ['anyone@in.example.net', 'not an address of ours'],
    [`b-${tag}@elsewhere.example`, 'a return path at another domain'],
    [`in-${tag}@bounces.acme.example`, 'a forwarding address at a bounces host'],
    ['b-short@in.example.net', 'a tag of the wrong length'],
    [`b-${tag.slice(0, -1)}1@in.example.net`, 'a character outside the alphabet'],
    ['postmaster@in.example.net', 'postmaster'],
    ['@in.example.net', 'no local part'],
    [`u-${tag}@in.example.net`, 'an unsubscribe address without its code'],
    [`u-${tag}${'a'.repeat(16)}@elsewhere.example`, 'an unsubscribe address at another domain'],
  ])('refuses %s (%s)', (address) => {
    expect(decodeInboundAddress(address, 'in.example.net')).toBeNull();
  });

  it('makes tags of 20 base32 characters that differ', () => {
    const tags = new Set(Array.from({ length: 1000 }, newTag));
    expect(tags.size).toBe(1000);
    for (const t of tags) expect(t).toMatch(/^[a-z2-7]{20}$/);
  });
});
