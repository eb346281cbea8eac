import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, Min } from 'class-validator';
import { IsText } from '../common/http/validation';
import { RATINGS, type Rating } from '../domain/types';

export class ProposeReviewDto {
  @IsIn(RATINGS as Rating[], { message: `rating must be one of ${RATINGS.join(', ')}` })
  @ApiProperty({ enum: RATINGS, example: 'contradicted' })
  rating!: Rating;

  @IsText(1, 5000)
  @ApiProperty({ minLength: 1, maxLength: 5000, example: 'Two independent local reports of shelling near Chernihiv after the pledge.' })
  explanation!: string;

  @IsInt({ message: 'claimVersion must be an integer (the version of the claim the rating is given at)' })
  @Min(1, { message: 'claimVersion must be at least 1' })
  @ApiProperty({ example: 4, description: 'The claim version (ETag of GET /api/claims/:id) the editor looked at' })
  claimVersion!: number;
}

export class ApproveReviewDto {
  @IsOptional()
  @IsText(1, 5000)
  @ApiPropertyOptional({ minLength: 1, maxLength: 5000, example: 'Checked both sources.' })
  comment?: string;
}

export class RejectReviewDto {
  @IsText(1, 5000)
  @ApiProperty({ minLength: 1, maxLength: 5000, example: 'Needs a second, independent source.' })
  comment!: string;
}
