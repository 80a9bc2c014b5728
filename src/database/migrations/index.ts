import { ProgramsParticipants1764000000000 } from './1764000000000-programs-participants';

// Every migration, in order. Listed rather than globbed so builds and tests load the same set.
export const MIGRATIONS = [ProgramsParticipants1764000000000];
