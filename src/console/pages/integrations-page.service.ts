import { SmtpIntegrationService } from '../../integrations/smtp-integration.service';
import { SenderIdentitiesService } from '../../integrations/sender-identities.service';
import { SenderDomainService } from '../../sender-domains/sender-domain.service';
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { InboundMailbox } from '../../inbound/mailbox/inbound-mailbox.entity';
import { toInboundMailboxView } from '../../inbound/mailbox/inbound-mailbox.service';
import { PutSenderDomainDto } from '../../sender-domains/dto/sender-domain.dto';
import { PutSenderIdentityDto } from '../../integrations/dto/sender-identity.dto';
import {
  ConnectSmtpDto,
  SendTestEmailDto,
  type TestEmailResponse,
} from '../../integrations/dto/smtp-integration.dto';
import { toSmtpIntegrationView } from '../../integrations/smtp-integration.service';
import { OAuthAuthorizeDto } from '../../integrations/oauth/dto/oauth-authorize.dto';
import { OAuthFlow } from '../../integrations/oauth/oauth-flow.service';
import { OAuthProviders, providerLabel } from '../../transports/oauth/oauth-providers';
import type { SignedInContext } from '../console-request';
import {
  attempt,
  emptyForm,
  integerOrText,
  noticeFromQuery,
  optional,
  pickFields,
  refusedForm,
  successNotice,
  topField,
  validateBody,
  type FormState,
  type Notice,
} from '../console-forms';
import type { Page, PageResult } from '../console-views.service';
import { translate, type Lang } from '../i18n';
import {
  LIMIT_FIELDS,
  limitField,
  limitInputs,
  limitsOfInputs,
  limitsSummary,
} from './send-limits-view';

const SMTP_FIELDS = [
  'host',
  'port',
  'security',
  'username',
  'password',
  'testFromAddress',
  'fromAddress',
  'fromName',
  ...LIMIT_FIELDS,
] as const;
const SENDER_FIELDS = [
  'senderId',
  'email',
  'password',
  'fromName',
  'saveToSent',
  'imapHost',
  'imapPort',
  'imapSecurity',
  ...LIMIT_FIELDS,
] as const;
const DOMAIN_FIELDS = ['domain', 'fromAddress', 'fromName'] as const;

/** What one visit of the page shows besides the stored settings: forms as typed and their outcomes. */
/** Which connect-with-a-provider form of the page a purpose's is, and the section it sits in. */
const OAUTH_FORMS = {
  integration: { form: 'integration', section: 'smtp' },
  sender: { form: 'sender', section: 'senders' },
  'inbound-mailbox': { form: 'mailbox', section: 'mailbox' },
} as const;
type OAuthFormKey = (typeof OAUTH_FORMS)[keyof typeof OAUTH_FORMS]['form'];

interface IntegrationsState {
  oauthForms?: Partial<Record<OAuthFormKey, FormState>>;
  smtpForm?: FormState;
  smtpTest?: FormState;
  senderForm?: FormState;
  senderTests?: Record<string, FormState>;
  domainForm?: FormState;
  domainNotice?: Notice;
  notice?: Notice;
  status?: number;
}

/** Fields of the nested imap object map back to the three IMAP inputs. */
function senderField(path: string): string | undefined {
  if (path === 'imap.host') return 'imapHost';
  if (path === 'imap.port') return 'imapPort';
  if (path === 'imap.security') return 'imapSecurity';
  return limitField(path) ?? topField(path);
}

function testOutcome(lang: Lang, sent: TestEmailResponse): Notice {
  const lines = [
    translate(lang, 'integrations.test.response', { response: sent.response }),
    translate(lang, 'integrations.test.messageId', { messageId: sent.messageId }),
    ...sent.rejected.map((r) =>
      translate(lang, 'integrations.test.rejected', { address: r.address, message: r.message }),
    ),
  ];
  if (sent.sentFolder) {
    lines.push(
      sent.sentFolder.saved
        ? translate(lang, 'integrations.test.sentSaved', { mailbox: sent.sentFolder.mailbox ?? '' })
        : translate(lang, 'integrations.test.sentFailed', {
            message: sent.sentFolder.message ?? '',
          }),
    );
  }
  return successNotice(
    lang,
    sent.accepted.length ? 'integrations.test.accepted' : 'integrations.test.noneAccepted',
    { to: sent.accepted.join(', ') },
    { lines },
  );
}

/**
 * The Integrations page: the program's SMTP server, its sender identities, its bounce mailbox (as
 * the API set it; shown, with why reading it fails) and the built-in sender's From domain.
 */
@Injectable()
export class IntegrationsPageService {
  constructor(
    private readonly smtp: SmtpIntegrationService,
    private readonly senders: SenderIdentitiesService,
    private readonly domains: SenderDomainService,
    private readonly dataSource: DataSource,
    private readonly oauth: OAuthFlow,
    private readonly providers: OAuthProviders,
  ) {}

  async show(ctx: SignedInContext, state: IntegrationsState = {}): Promise<Page> {
    const programId = ctx.program.id;
    const [smtpRow, senders, domainRow, mailboxRow] = await Promise.all([
      this.smtp.find(programId),
      this.senders.list(programId),
      this.domains.find(programId),
      this.dataSource.getRepository(InboundMailbox).findOneBy({ programId }),
    ]);
    const smtp = smtpRow ? toSmtpIntegrationView(smtpRow) : null;
    const smtpForm =
      state.smtpForm ??
      emptyForm({
        host: smtp?.host ?? '',
        port: smtp ? String(smtp.port) : '587',
        security: smtp?.security ?? 'tls',
        username: smtp?.username ?? '',
        password: '',
        testFromAddress: smtp?.testFromAddress ?? '',
        fromAddress: smtp?.fromAddress ?? '',
        fromName: smtp?.fromName ?? '',
        ...limitInputs(smtp?.limits),
      });
    const domain = domainRow ? this.domains.view(domainRow) : null;
    const mailbox = mailboxRow ? toInboundMailboxView(mailboxRow) : null;
    // The provider's name beside an account that signs in with it.
    const labelled = <T extends { auth: { provider?: string } }>(view: T) => ({
      ...view,
      providerLabel: view.auth.provider ? providerLabel(view.auth.provider) : null,
    });
    const oauthEmail = (auth?: { type: string; email?: string }, fallback?: string | null) =>
      (auth?.type === 'oauth2' ? auth.email : fallback) ?? '';
    return {
      view: 'integrations',
      title: 'integrations.title',
      section: 'integrations',
      status: state.status,
      model: {
        notice: state.notice,
        smtp: smtp ? labelled(smtp) : null,
        oauthProviders: this.providers.list().map((p) => ({ name: p.name, label: p.label })),
        oauthForms: {
          integration:
            state.oauthForms?.integration ??
            emptyForm({ email: oauthEmail(smtp?.auth, smtp?.username), security: 'tls' }),
          sender: state.oauthForms?.sender ?? emptyForm({ senderId: '', email: '' }),
          mailbox:
            state.oauthForms?.mailbox ??
            emptyForm({ email: oauthEmail(mailbox?.auth, mailbox?.username), security: 'ssl' }),
        },
        smtpLimits: smtp ? limitsSummary(ctx.lang, smtp.limitsInEffect) : null,
        smtpForm,
        smtpTest: state.smtpTest ?? emptyForm({ to: '' }),
        senders: senders.map((s) => ({
          ...labelled(s),
          limitsText: limitsSummary(ctx.lang, s.limitsInEffect),
          test: state.senderTests?.[s.senderId] ?? emptyForm({ to: '' }),
        })),
        senderForm: state.senderForm ?? emptyForm({ saveToSent: 'auto', imapSecurity: 'ssl' }),
        domain,
        domainForm:
          state.domainForm ??
          emptyForm({
            domain: domain?.domain ?? '',
            fromAddress: domain?.fromAddress ?? '',
            fromName: domain?.fromName ?? '',
          }),
        domainNotice: state.domainNotice,
        mailbox: mailbox ? labelled(mailbox) : null,
      },
    };
  }

  /**
   * Starts connecting an account with Microsoft or Google: a page that sends the browser on to the
   * provider's sign-in (the provider sends it back to the callback, which comes back here).
   */
  async startOAuth(ctx: SignedInContext, body: unknown): Promise<Page> {
    const values = pickFields(body, [
      'for',
      'provider',
      'email',
      'senderId',
      'host',
      'port',
      'security',
    ]);
    const purpose = Object.prototype.hasOwnProperty.call(OAUTH_FORMS, values.for)
      ? OAUTH_FORMS[values.for as keyof typeof OAUTH_FORMS]
      : OAUTH_FORMS.integration;
    // Another server than the provider's own, when one is named (sovereign clouds, tests).
    const host = optional(values.host);
    const server = host
      ? { host, port: integerOrText(values.port), security: values.security }
      : undefined;
    const input = {
      provider: values.provider,
      for: values.for,
      email: values.email.trim(),
      ...(values.for === 'sender' ? { senderId: values.senderId.trim() } : {}),
      ...(server && values.for === 'integration' ? { smtp: server } : {}),
      ...(server && values.for === 'inbound-mailbox' ? { imap: server } : {}),
      returnTo: `/console/integrations#${purpose.section}`,
    };
    const outcome = await attempt(async () =>
      this.oauth.authorize(ctx.program, await validateBody(OAuthAuthorizeDto, input)),
    );
    if (!outcome.ok) {
      const form = refusedForm(
        ctx.lang,
        values,
        outcome.error,
        'integrations.oauth.refused',
        (path) => topField(path.replace(/^(smtp|imap)\./, '')),
      );
      if (
        outcome.error.code === 'INVALID_SENDER_ID' ||
        outcome.error.code === 'OAUTH_SENDER_ID_REQUIRED'
      )
        form.errors.senderId = [outcome.error.message];
      return this.show(ctx, {
        oauthForms: { [purpose.form]: form },
        status: outcome.error.getStatus(),
      });
    }
    return {
      view: 'oauth-redirect',
      title: 'integrations.oauth.redirectTitle',
      section: 'integrations',
      model: {
        authorizeUrl: outcome.value.authorizeUrl,
        email: input.email,
        provider: providerLabel(values.provider),
      },
    };
  }

  async showWithNotice(ctx: SignedInContext, notice: unknown): Promise<Page> {
    return this.show(ctx, { notice: noticeFromQuery(ctx.lang, notice) });
  }

  /** Verifies the server and the login, then saves; a refusal says what to change and changes nothing. */
  async connect(ctx: SignedInContext, body: unknown): Promise<Page> {
    const values = pickFields(body, SMTP_FIELDS);
    const input = {
      host: values.host.trim(),
      port: integerOrText(values.port),
      security: values.security,
      username: optional(values.username),
      // A blank password keeps the stored one, as in the API.
      password: values.password === '' ? undefined : values.password,
      testFromAddress: optional(values.testFromAddress),
      fromAddress: values.fromAddress.trim(),
      fromName: optional(values.fromName),
      limits: limitsOfInputs(values),
    };
    const shown = { ...values, password: '' };
    const outcome = await attempt(async () =>
      this.smtp.connect(ctx.program, await validateBody(ConnectSmtpDto, input)),
    );
    if (!outcome.ok) {
      return this.show(ctx, {
        smtpForm: refusedForm(
          ctx.lang,
          shown,
          outcome.error,
          'integrations.smtp.refused',
          (path) => limitField(path) ?? topField(path),
        ),
        status: outcome.error.getStatus(),
      });
    }
    const saved = outcome.value;
    const notice = successNotice(ctx.lang, 'integrations.smtp.connected', {
      host: saved.host,
      port: saved.port,
      security: translate(ctx.lang, `security.${saved.security}`),
    });
    return this.show(ctx, { smtpForm: { ...emptyForm(shown), notice } });
  }

  async sendSmtpTest(ctx: SignedInContext, body: unknown): Promise<Page> {
    const values = pickFields(body, ['to']);
    const outcome = await attempt(async () =>
      this.smtp.sendTest(
        ctx.program,
        (await validateBody(SendTestEmailDto, { to: values.to.trim() })).to,
      ),
    );
    if (!outcome.ok) {
      return this.show(ctx, {
        smtpTest: refusedForm(
          ctx.lang,
          values,
          outcome.error,
          'integrations.test.failed',
          topField,
        ),
        status: outcome.error.getStatus(),
      });
    }
    return this.show(ctx, {
      smtpTest: { ...emptyForm(values), notice: testOutcome(ctx.lang, outcome.value) },
    });
  }

  async disconnect(ctx: SignedInContext): Promise<PageResult> {
    await this.smtp.disconnect(ctx.program.id);
    return { redirect: '/console/integrations?notice=smtp-disconnected' };
  }

  async putSender(ctx: SignedInContext, body: unknown): Promise<Page> {
    const values = pickFields(body, SENDER_FIELDS);
    const imapHost = optional(values.imapHost);
    const input = {
      email: values.email.trim(),
      password: values.password === '' ? undefined : values.password,
      fromName: optional(values.fromName),
      saveToSent: optional(values.saveToSent),
      limits: limitsOfInputs(values),
      ...(imapHost
        ? {
            imap: {
              host: imapHost,
              port: integerOrText(values.imapPort),
              security: values.imapSecurity,
            },
          }
        : {}),
    };
    const shown = { ...values, password: '' };
    const senderId = values.senderId.trim();
    const outcome = await attempt(async () =>
      this.senders.put(ctx.program, senderId, await validateBody(PutSenderIdentityDto, input)),
    );
    if (!outcome.ok) {
      const form = refusedForm(
        ctx.lang,
        shown,
        outcome.error,
        'integrations.senders.refused',
        senderField,
      );
      if (outcome.error.code === 'INVALID_SENDER_ID')
        form.errors.senderId = [outcome.error.message];
      return this.show(ctx, { senderForm: form, status: outcome.error.getStatus() });
    }
    const notice = successNotice(
      ctx.lang,
      outcome.value.created ? 'integrations.senders.created' : 'integrations.senders.updated',
      { senderId },
    );
    return this.show(ctx, {
      senderForm: { ...emptyForm({ saveToSent: 'auto', imapSecurity: 'ssl' }), notice },
    });
  }

  async sendSenderTest(ctx: SignedInContext, senderId: string, body: unknown): Promise<Page> {
    const values = pickFields(body, ['to']);
    const outcome = await attempt(async () =>
      this.senders.sendTest(
        ctx.program,
        senderId,
        (await validateBody(SendTestEmailDto, { to: values.to.trim() })).to,
      ),
    );
    const test = outcome.ok
      ? { ...emptyForm(values), notice: testOutcome(ctx.lang, outcome.value) }
      : refusedForm(ctx.lang, values, outcome.error, 'integrations.test.failed', topField);
    return this.show(ctx, {
      senderTests: { [senderId]: test },
      status: outcome.ok ? undefined : outcome.error.getStatus(),
    });
  }

  async removeSender(ctx: SignedInContext, senderId: string): Promise<PageResult> {
    await this.senders.remove(ctx.program.id, senderId);
    return { redirect: '/console/integrations?notice=sender-removed#senders' };
  }

  async putDomain(ctx: SignedInContext, body: unknown): Promise<Page> {
    const values = pickFields(body, DOMAIN_FIELDS);
    const input = {
      domain: values.domain.trim(),
      fromAddress: values.fromAddress.trim(),
      fromName: optional(values.fromName),
    };
    const outcome = await attempt(async () =>
      this.domains.put(ctx.program.id, await validateBody(PutSenderDomainDto, input)),
    );
    if (!outcome.ok) {
      return this.show(ctx, {
        domainForm: refusedForm(
          ctx.lang,
          values,
          outcome.error,
          'integrations.domain.refused',
          topField,
        ),
        status: outcome.error.getStatus(),
      });
    }
    return this.show(ctx, {
      domainNotice: successNotice(ctx.lang, 'integrations.domain.saved', {
        domain: outcome.value.domain,
      }),
    });
  }

  async verifyDomain(ctx: SignedInContext): Promise<Page> {
    const outcome = await attempt(() => this.domains.verify(ctx.program));
    if (!outcome.ok)
      return this.show(ctx, {
        domainNotice: refusedForm(
          ctx.lang,
          {},
          outcome.error,
          'integrations.domain.refused',
          topField,
        ).notice,
        status: outcome.error.getStatus(),
      });
    const status = outcome.value.status;
    const notice: Notice =
      status === 'verified'
        ? successNotice(ctx.lang, 'integrations.domain.verified', { domain: outcome.value.domain })
        : {
            kind: 'error',
            title: translate(
              ctx.lang,
              status === 'failed' ? 'integrations.domain.failed' : 'integrations.domain.pending',
              { domain: outcome.value.domain },
            ),
          };
    return this.show(ctx, { domainNotice: notice });
  }

  async removeDomain(ctx: SignedInContext): Promise<PageResult> {
    await this.domains.remove(ctx.program.id);
    return { redirect: '/console/integrations?notice=domain-removed#domain' };
  }
}
