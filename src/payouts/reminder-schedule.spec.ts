import { reminderDueTimes, supersededReminders } from './reminder-schedule';

describe('reminderDueTimes', () => {
  const at = new Date('2026-03-01T12:00:00Z');

  it('adds each interval to the reward time', () => {
    expect(reminderDueTimes(at, ['P3D', 'P7D', 'PT1S'])).toEqual([
      { intervalIndex: 0, dueAt: new Date('2026-03-04T12:00:00Z') },
      { intervalIndex: 1, dueAt: new Date('2026-03-08T12:00:00Z') },
      { intervalIndex: 2, dueAt: new Date('2026-03-01T12:00:01Z') },
    ]);
  });

  it('skips what does not parse and keeps the positions of the others', () => {
    expect(reminderDueTimes(at, ['P1M', 'PT2S'])).toEqual([
      { intervalIndex: 1, dueAt: new Date('2026-03-01T12:00:02Z') },
    ]);
  });
});

describe('supersededReminders', () => {
  it('keeps the latest interval of each participant and supersedes the earlier ones', () => {
    const a0 = { programId: 'p', participantId: 'a', intervalIndex: 0 };
    const a1 = { programId: 'p', participantId: 'a', intervalIndex: 1 };
    const b0 = { programId: 'p', participantId: 'b', intervalIndex: 0 };
    const otherProgram = { programId: 'q', participantId: 'a', intervalIndex: 0 };
    expect([...supersededReminders([a0, b0, a1, otherProgram])]).toEqual([a0]);
  });
});
