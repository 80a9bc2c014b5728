import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { stacked } from '../validation/validators';

/** A list query's `limit`: how many items one page holds, 1 to `maximum`, `size` when left out. */
export const PageLimit = (size = 50, maximum = 200) =>
  stacked(
    ApiPropertyOptional({ default: size, maximum }),
    IsOptional(),
    Type(() => Number),
    IsInt(),
    Min(1),
    Max(maximum),
  );
