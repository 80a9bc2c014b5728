import { ProgramsParticipants1764000000000 } from './1764000000000-programs-participants';
import { Messages1764000000100 } from './1764000000100-messages';
import { TemplateOverrides1764000000300 } from './1764000000300-template-overrides';

// Every migration, in order. Listed rather than globbed so builds and tests load the same set.
export const MIGRATIONS = [ProgramsParticipants1764000000000, Messages1764000000100, TemplateOverrides1764000000300];
