import { loggableUrl } from './request-log';

describe('loggableUrl', () => {
  it('keeps the path of an unsubscribe link, not its token', () => {
    expect(loggableUrl('/p/unsubscribe/AbC-12_x')).toBe('/p/unsubscribe/[redacted]');
    expect(loggableUrl('/p/unsubscribe/AbC-12_x?lang=es')).toBe(
      '/p/unsubscribe/[redacted]?lang=es',
    );
  });

  it('keeps the pool of a code being deleted, not the code', () => {
    expect(loggableUrl('/v1/code-pools/pool-1/codes/SPRING-7Q4K')).toBe(
      '/v1/code-pools/pool-1/codes/[redacted]',
    );
    expect(loggableUrl('/v1/code-pools/pool-1/codes')).toBe('/v1/code-pools/pool-1/codes');
  });

  it('keeps the names of credential parameters, not their values', () => {
    expect(loggableUrl('/p/verify?token=secret&x=1')).toBe('/p/verify?token=[redacted]&x=1');
    expect(loggableUrl('/v1/participants/ana')).toBe('/v1/participants/ana');
  });
});
