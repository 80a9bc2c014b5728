import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length, MaxLength } from 'class-validator';
import { IsEmailAddress } from '../../common/validation/validators';

export class EmailRequestDto {
  @ApiProperty({ example: 'ana@example.com', description: "The participant's email address." })
  @IsEmailAddress()
  email: string;
}

export class TokenConfirmDto {
  @ApiProperty({ description: 'The token from the link in the email.' })
  @IsString()
  @MaxLength(512)
  token: string;
}

export class PasswordResetConfirmDto extends TokenConfirmDto {
  @ApiProperty({ minLength: 8, maxLength: 256, description: 'The new password.' })
  @IsString()
  @Length(8, 256, { message: 'password must be 8 to 256 characters long' })
  password: string;
}

export class SessionDto {
  @ApiProperty({ example: 'ana@example.com' })
  @IsEmailAddress()
  email: string;

  @ApiProperty()
  @IsString()
  @Length(1, 256)
  password: string;
}

export class AcceptedResponse {
  @ApiProperty({
    example: 'accepted',
    description: 'The same answer whether or not the address belongs to a participant.',
  })
  status: 'accepted';
}

export class VerificationConfirmedResponse {
  @ApiProperty() participantId: string;
  @ApiProperty({ enum: [true] }) emailVerified: true;
}

export class ParticipantIdResponse {
  @ApiProperty() participantId: string;
}
