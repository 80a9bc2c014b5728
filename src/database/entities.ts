import { Message } from '../mail/message.entity';
import { Suppression } from '../mail/suppression.entity';
import { Participant } from '../participants/participant.entity';
import { Program } from '../programs/program.entity';
import { TemplateOverrideEntity } from '../templates/template-override.entity';

// Every entity the data source knows. Listed rather than globbed so builds and tests agree.
export const ENTITIES = [Program, Participant, Message, Suppression, TemplateOverrideEntity];
