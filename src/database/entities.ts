import { Participant } from '../participants/participant.entity';
import { Program } from '../programs/program.entity';

// Every entity the data source knows. Listed rather than globbed so builds and tests agree.
export const ENTITIES = [Program, Participant];
