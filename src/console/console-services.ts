import { Injectable, OnModuleInit, Type } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { SenderDomainService } from '../sender-domains/sender-domain.service';
import { SenderIdentitiesService } from '../integrations/sender-identities.service';
import { SmtpIntegrationService } from '../integrations/smtp-integration.service';
import { MessagesService } from '../messages/messages.service';
import { ParticipantsService } from '../participants/participants.service';
import { RuleSimulator } from '../rules/rule-simulator.service';
import { RulesService } from '../rules/rules.service';
import { TemplateEditorService } from '../templates/template-editor.service';
import { TemplatesService } from '../templates/templates.service';
import { W9Service } from '../tax/w9.service';

/**
 * The domain services the console calls in-process, the same instances the API controllers use.
 * Most are private to their modules (only the API needed them), so they are looked up in the
 * application rather than exported one by one.
 */
@Injectable()
export class ConsoleServices implements OnModuleInit {
  smtp: SmtpIntegrationService;
  senders: SenderIdentitiesService;
  domains: SenderDomainService;
  rules: RulesService;
  simulator: RuleSimulator;
  templates: TemplatesService;
  editor: TemplateEditorService;
  messages: MessagesService;
  participants: ParticipantsService;
  w9: W9Service;

  constructor(private readonly moduleRef: ModuleRef) {}

  onModuleInit(): void {
    const get = <T>(type: Type<T>): T => this.moduleRef.get(type, { strict: false });
    this.smtp = get(SmtpIntegrationService);
    this.senders = get(SenderIdentitiesService);
    this.domains = get(SenderDomainService);
    this.rules = get(RulesService);
    this.simulator = get(RuleSimulator);
    this.templates = get(TemplatesService);
    this.editor = get(TemplateEditorService);
    this.messages = get(MessagesService);
    this.participants = get(ParticipantsService);
    this.w9 = get(W9Service);
  }
}
