import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { CurrentProgram } from '../programs/auth/auth.decorators';
import { Program } from '../programs/program.entity';
import {
  CreateWebhookDto,
  ListWebhookDeliveriesQuery,
  RotateWebhookSecretDto,
  UpdateWebhookDto,
  WebhookCreatedResponse,
  WebhookDeliveryListResponse,
  WebhookDeliveryResponse,
  WebhookListResponse,
  WebhookResponse,
  WebhookSecretResponse,
} from './dto/webhook.dto';
import { WebhooksService } from './webhooks.service';

const NOT_FOUND = { status: 404, description: 'WEBHOOK_NOT_FOUND' };

@ApiTags('webhooks')
@ApiBearerAuth()
@Controller('v1/webhooks')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Post()
  @ApiOperation({
    summary:
      'Add an endpoint that is sent the chosen events, signed per Standard Webhooks. The secret is in this answer only.',
  })
  @ApiResponse({ status: 201, type: WebhookCreatedResponse })
  @ApiResponse({ status: 400, description: 'WEBHOOK_URL_INVALID or VALIDATION_FAILED' })
  @ApiResponse({
    status: 422,
    description: 'WEBHOOK_URL_NOT_ALLOWED (a private address) or WEBHOOK_DNS_FAILED',
  })
  create(@CurrentProgram() program: Program, @Body() dto: CreateWebhookDto) {
    return this.webhooks.create(program.id, dto);
  }

  @Get()
  @ApiOperation({ summary: 'The program’s webhook endpoints (never their secrets).' })
  @ApiResponse({ status: 200, type: WebhookListResponse })
  list(@CurrentProgram() program: Program) {
    return this.webhooks.list(program.id);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One webhook endpoint.' })
  @ApiResponse({ status: 200, type: WebhookResponse })
  @ApiResponse(NOT_FOUND)
  get(@CurrentProgram() program: Program, @Param('id') id: string) {
    return this.webhooks.get(program.id, id);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change the URL, events, description, or enable / disable it.' })
  @ApiResponse({ status: 200, type: WebhookResponse })
  @ApiResponse(NOT_FOUND)
  update(
    @CurrentProgram() program: Program,
    @Param('id') id: string,
    @Body() dto: UpdateWebhookDto,
  ) {
    return this.webhooks.update(program.id, id, dto);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Delete the endpoint and its delivery log; nothing more is sent to it.',
  })
  @ApiResponse({ status: 204 })
  @ApiResponse(NOT_FOUND)
  async remove(@CurrentProgram() program: Program, @Param('id') id: string): Promise<void> {
    await this.webhooks.remove(program.id, id);
  }

  @Post(':id/rotate-secret')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'A new signing secret, shown once; requests carry a signature with the old one too until the overlap ends.',
  })
  @ApiResponse({ status: 200, type: WebhookSecretResponse })
  @ApiResponse(NOT_FOUND)
  rotate(
    @CurrentProgram() program: Program,
    @Param('id') id: string,
    @Body() dto: RotateWebhookSecretDto,
  ) {
    return this.webhooks.rotateSecret(program.id, id, dto);
  }

  @Get(':id/deliveries')
  @ApiOperation({
    summary:
      'The endpoint’s delivery log, newest first: the body sent, each attempt’s status code and the start of the answer.',
  })
  @ApiResponse({ status: 200, type: WebhookDeliveryListResponse })
  @ApiResponse(NOT_FOUND)
  deliveries(
    @CurrentProgram() program: Program,
    @Param('id') id: string,
    @Query() query: ListWebhookDeliveriesQuery,
  ) {
    return this.webhooks.deliveriesOf(program.id, id, query);
  }

  @Post(':id/deliveries/:deliveryId/retry')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Send a failed (or waiting) delivery again now, with a new retry window.',
  })
  @ApiResponse({ status: 202, type: WebhookDeliveryResponse })
  @ApiResponse({ status: 404, description: 'WEBHOOK_NOT_FOUND or WEBHOOK_DELIVERY_NOT_FOUND' })
  @ApiResponse({
    status: 409,
    description: 'WEBHOOK_DELIVERY_NOT_RETRYABLE: already delivered or being sent',
  })
  retry(
    @CurrentProgram() program: Program,
    @Param('id') id: string,
    @Param('deliveryId') deliveryId: string,
  ) {
    return this.webhooks.retry(program.id, id, deliveryId);
  }
}
