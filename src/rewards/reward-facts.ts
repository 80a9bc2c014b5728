import type { RewardInput } from '../templates/renderer';

/** What the finance triggers read of a reward; the rewards module's entity has these fields. */
export interface RewardFacts extends RewardInput {
  programId: string;
  participantId: string;
  status: 'available' | 'paid' | 'cancelled';
}
