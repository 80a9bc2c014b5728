import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import {
  defineValidator,
  IsEmailAddress,
  IsLocaleTag,
  NoControlChars,
} from '../../common/validation/validators';
import { PARTICIPANT_ID, PARTICIPANT_ID_MESSAGE } from '../../participants/dto/participant.dto';

export const MAX_SUBJECT_CHARS = 300;
export const MAX_BODY_BYTES = 200 * 1024;
export const MAX_PREVIEW_DATA_BYTES = 64 * 1024;
export const PREVIEW_SAMPLES = ['filled', 'optional-empty'] as const;
export type PreviewSample = (typeof PREVIEW_SAMPLES)[number];

const utf8Bytes = (value: string) => Buffer.byteLength(value, 'utf8');

/** A template body: at most 200 KB of UTF-8, and no NUL (Postgres text cannot hold it). */
const IsTemplateBody = () =>
  defineValidator(
    'isTemplateBody',
    (v) => typeof v !== 'string' || (utf8Bytes(v) <= MAX_BODY_BYTES && !v.includes('\0')),
    `$property must be at most ${MAX_BODY_BYTES / 1024} KB of UTF-8 text without NUL characters`,
  );

/** Free-form variables for a preview: a JSON object of bounded size. */
const IsPreviewData = () =>
  defineValidator(
    'isPreviewData',
    (v) =>
      !!v &&
      typeof v === 'object' &&
      !Array.isArray(v) &&
      utf8Bytes(JSON.stringify(v)) <= MAX_PREVIEW_DATA_BYTES,
    `$property must be a JSON object of at most ${MAX_PREVIEW_DATA_BYTES / 1024} KB`,
  );

export class PutTemplateDto {
  @ApiProperty({ maxLength: MAX_SUBJECT_CHARS, example: '{{program.name}}: confirma tu correo' })
  @IsString()
  @Matches(/\S/, { message: 'subject must not be blank' })
  @MaxLength(MAX_SUBJECT_CHARS)
  @NoControlChars({ message: 'subject must be a single line (no line breaks or NUL characters)' })
  subject: string;

  @ApiProperty({
    description:
      'Handlebars HTML body; the shared layout wraps it unless it is a whole document. At most 200 KB.',
  })
  @IsString()
  @Matches(/\S/, { message: 'html must not be blank' })
  @IsTemplateBody()
  html: string;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    description:
      'Plain-text body; derived from the HTML when omitted, null or empty. At most 200 KB.',
  })
  @IsOptional()
  @IsString()
  @IsTemplateBody()
  text?: string | null;
}

export class PreviewTemplateDto {
  @ApiPropertyOptional({
    example: 'es',
    description: "Tried first; then the participant's locale, the program default, and en.",
  })
  @IsOptional()
  @IsLocaleTag()
  locale?: string;

  @ApiPropertyOptional({
    description: 'Render with this participant of the program (404 when unknown).',
  })
  @IsOptional()
  @IsString()
  @Matches(PARTICIPANT_ID, { message: PARTICIPANT_ID_MESSAGE })
  participantId?: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description:
      'Variables merged over the sample data (and over the participant, when one is given). At most 64 KB.',
    example: { participant: { firstName: 'Zoe' } },
  })
  @IsOptional()
  @IsPreviewData()
  data?: Record<string, unknown>;

  @ApiPropertyOptional({
    enum: PREVIEW_SAMPLES,
    default: 'filled',
    description:
      'filled: sample data with every variable set. optional-empty: every optional variable empty (null), as for a participant without a first name; shows what the fallbacks and {{#if}} branches print. A participant given by participantId and the data given are laid over it as they are.',
  })
  @IsOptional()
  @IsIn(PREVIEW_SAMPLES)
  sample?: PreviewSample;
}

export class SendTestTemplateDto extends PreviewTemplateDto {
  @ApiProperty({ example: 'marketing@example.com' })
  @IsEmailAddress()
  to: string;
}

export class TemplateLocaleEntry {
  @ApiProperty({ example: 'es' }) locale: string;
  @ApiProperty({ enum: ['default', 'program'] }) source: 'default' | 'program';
  @ApiPropertyOptional({ description: 'Program overrides only: counts every save.' })
  version?: number;
  @ApiPropertyOptional({ description: 'Program overrides only.' }) updatedAt?: string;
}

export class TemplateListItem {
  @ApiProperty({ example: 'verification' }) key: string;
  @ApiProperty({
    enum: ['system', 'generic', 'program'],
    description:
      "system: sent by the service; generic: the body of a program's keys without a template; program: the program's own key.",
  })
  kind: 'system' | 'generic' | 'program';
  @ApiProperty({
    description: 'The variables contract the key is validated against (generic for a program key).',
  })
  emailType: string;
  @ApiProperty() description: string;
  @ApiProperty({
    example: 'marketing',
    description:
      'transactional (never unsubscribable), rewards, marketing, or the category the program gave the key (PUT /v1/templates/:key/settings).',
  })
  category: string;
  @ApiProperty({ type: [TemplateLocaleEntry] }) locales: TemplateLocaleEntry[];
}

export class TemplateListResponse {
  @ApiProperty({ type: [TemplateListItem] }) items: TemplateListItem[];
}

export class TemplateResponse {
  @ApiProperty({ example: 'verification' }) key: string;
  @ApiProperty({ example: 'es', description: 'The locale asked for.' }) locale: string;
  @ApiProperty({ enum: ['default', 'program'] }) source: 'default' | 'program';
  @ApiProperty({
    description:
      'The template shown: the key itself, or generic for a program key without one in this locale.',
  })
  resolvedKey: string;
  @ApiProperty({
    description: 'Its locale: the one asked for, or the fallback a reader of that locale gets.',
  })
  resolvedLocale: string;
  @ApiProperty() subject: string;
  @ApiProperty() html: string;
  @ApiPropertyOptional({
    type: String,
    nullable: true,
    description: 'null: derived from the HTML when sending.',
  })
  text: string | null;
  @ApiPropertyOptional({ type: Number, nullable: true }) version: number | null;
  @ApiPropertyOptional({ type: String, nullable: true }) updatedAt: string | null;
  @ApiProperty({
    type: [String],
    description: 'Top-level variables a template of this key may use.',
  })
  variables: string[];
}

export class PreviewResponse {
  @ApiProperty() subject: string;
  @ApiProperty() html: string;
  @ApiProperty() text: string;
  @ApiProperty({ description: 'The locale rendered.' }) locale: string;
  @ApiProperty({ enum: ['default', 'program'] }) source: 'default' | 'program';
  @ApiProperty({
    description:
      'The template rendered: the key, or generic for a program key without one in these locales.',
  })
  resolvedKey: string;
}

export class SendTestResponse {
  @ApiProperty({ description: 'Outbox message id; follow it at GET /v1/messages/{id}.' })
  messageId: string;
  @ApiProperty({
    enum: ['queued', 'suppressed'],
    description: "suppressed: the address is on the program's suppression list; nothing is sent.",
  })
  status: string;
  @ApiProperty() subject: string;
  @ApiProperty() locale: string;
  @ApiProperty({ enum: ['default', 'program'] }) source: 'default' | 'program';
}
