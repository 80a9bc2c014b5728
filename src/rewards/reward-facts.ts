import type { RewardInput } from '../templates/renderer';
import type { RewardStatus } from './states/reward-states';

/** What the finance triggers read of a reward; the rewards module's entity has these fields. */
export interface RewardFacts extends RewardInput {
  programId: string;
  participantId: string;
  status: RewardStatus;
  /** The part that counts toward the W-9 total, in whole USD cents. */
  taxableCents: number;
}
