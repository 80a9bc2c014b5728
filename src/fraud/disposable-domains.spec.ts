import { isDisposableAddress } from './disposable-domains';

describe(isDisposableAddress.name, () => {
  it.each([
    ['someone@mailinator.com', true],
    ['Someone@MAILINATOR.COM', true],
    ['someone@eu.mailinator.com', true],
    ['someone@10minutemail.com', true],
    ['someone@gmail.com', false],
    ['someone@example.com', false],
    ['someone@acme.io', false],
    ['no-domain', false],
  ])('%s → %s', (address, expected) => {
    expect(isDisposableAddress(address)).toBe(expected);
  });
});
