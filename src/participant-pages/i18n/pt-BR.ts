import type { MessageKey } from './en';

/** As páginas para participantes em português do Brasil. */
export const ptBR: Record<MessageKey, string> = {
  'layout.branding': 'Enviado com Referral Notify',
  'layout.sentBy': 'Estas páginas são de {program}.',

  'invalid.title': 'Este link não funciona',
  'invalid.body':
    'Ele pode estar digitado errado ou cortado. Abra de novo pelo e-mail; se for colar, copie o link inteiro.',

  'verify.done.title': 'E-mail confirmado',
  'verify.done.body':
    'Obrigado: {email} foi confirmado para {program}. Você já pode fechar esta página.',
  'verify.already.title': 'E-mail já confirmado',
  'verify.already.body':
    '{email} já estava confirmado para {program}. Não é preciso fazer mais nada.',
  'verify.expired.title': 'Este link expirou',
  'verify.expired.body':
    'O link para confirmar seu e-mail vale por um tempo limitado, e este já venceu. Peça um novo e abra logo.',
  'verify.used.title': 'Este link já foi usado',
  'verify.used.body':
    'Este link já foi usado, ou um mais recente foi enviado depois. Abra o e-mail mais recente de {program} ou peça um novo link.',
  'verify.changed.title': 'Este link foi para outro endereço',
  'verify.changed.body':
    'Este link foi enviado para um endereço que não está mais na sua conta de {program}. Peça um novo link: ele vai para o endereço que está na sua conta agora.',
  'verify.resend': 'Enviar um novo link',
  'verify.sent.title': 'Confira sua caixa de entrada',
  'verify.sent.body':
    'Um novo link para confirmar seu endereço está a caminho de {email}. Pode levar alguns minutos; confira também a pasta de spam. Se nada chegar, talvez você tenha pedido vários links na última hora: espere um pouco e peça de novo.',

  'reset.form.title': 'Escolha uma nova senha',
  'reset.form.intro': 'Para sua conta de {program}, {email}.',
  'reset.form.password': 'Nova senha',
  'reset.form.passwordHint': 'Use de 8 a 256 caracteres.',
  'reset.form.confirm': 'Nova senha, de novo',
  'reset.form.submit': 'Salvar minha nova senha',
  'reset.form.errors':
    'Sua senha não foi alterada. Corrija o que está marcado abaixo e tente de novo.',
  'reset.form.tooShort': 'Use pelo menos 8 caracteres.',
  'reset.form.tooLong': 'Use no máximo 256 caracteres.',
  'reset.form.mismatch': 'As duas senhas não são iguais. Digite a mesma senha nos dois campos.',
  'reset.done.title': 'Sua senha foi alterada',
  'reset.done.body':
    'Você já pode entrar em {program} com a nova senha. Também enviamos um e-mail para {email} avisando da alteração.',
  'reset.expired.title': 'Este link expirou',
  'reset.expired.body':
    'O link para redefinir sua senha vale por um tempo limitado, e este já venceu. Peça um novo e abra logo.',
  'reset.used.title': 'Este link já foi usado',
  'reset.used.body':
    'Este link já foi usado, ou um mais recente foi enviado depois. Abra o e-mail mais recente de {program} ou peça um novo link.',
  'reset.changed.title': 'Este link foi para outro endereço',
  'reset.changed.body':
    'Este link foi enviado para um endereço que não está mais na sua conta de {program}. Peça um novo link: ele vai para o endereço que está na sua conta agora.',
  'reset.resend': 'Enviar um novo link',
  'reset.sent.title': 'Confira sua caixa de entrada',
  'reset.sent.body':
    'Um novo link para redefinir sua senha está a caminho de {email}. Pode levar alguns minutos; confira também a pasta de spam. Se nada chegar, talvez você tenha pedido vários links na última hora: espere um pouco e peça de novo.',
  'reset.request.title': 'Redefina sua senha',
  'reset.request.intro':
    'Digite o e-mail da sua conta de {program}, e enviaremos um link para você escolher uma nova senha.',
  'reset.request.email': 'E-mail',
  'reset.request.emailHint': 'Por exemplo, nome@exemplo.com.',
  'reset.request.submit': 'Enviar um link',
  'reset.request.invalidEmail': 'Digite um e-mail como nome@exemplo.com.',
  'reset.request.errors': 'Nada foi enviado. Corrija o que está marcado abaixo e tente de novo.',
  'reset.request.sent.title': 'Confira sua caixa de entrada',
  'reset.request.sent.body':
    'Se uma conta de {program} usa {email}, um link para escolher uma nova senha está a caminho. Pode levar alguns minutos; confira também a pasta de spam.',

  'prefs.title': 'Preferências de e-mail',
  'prefs.intro': 'Escolha quais e-mails {program} envia para {email}.',
  'prefs.from': 'Você chegou aqui por um e-mail de “{category}”.',
  'prefs.leaveOne': 'Cancelar inscrição em “{category}”',
  'prefs.legend': 'E-mails que você recebe',
  'prefs.left': 'Inscrição cancelada em {date}.',
  'prefs.save': 'Salvar minhas preferências',
  'prefs.leaveAll': 'Cancelar todas as inscrições',
  'prefs.always.title': 'Sempre enviados',
  'prefs.always.body':
    'E-mails sobre sua conta (confirmação do endereço, redefinição de senha) e sobre seus pagamentos (formulários fiscais, dados de pagamento) são sempre enviados: você precisa deles para participar.',
  'prefs.saved': 'Suas preferências foram salvas.',
  'prefs.leftOne': 'Sua inscrição em “{category}” foi cancelada.',
  'prefs.leftAll': 'Você cancelou a inscrição em todos os e-mails que podem ser desativados.',
  'prefs.nothing': 'Nada mudou: suas preferências já estavam assim.',

  'category.rewards': 'Recompensas',
  'category.rewards.hint': 'Quando você ganha uma recompensa, e qual é.',
  'category.marketing': 'Novidades e ofertas',
  'category.marketing.hint': 'Promoções, novidades e ofertas de {program}.',

  'error.title': 'Algo deu errado',
  'error.body': 'Não foi possível mostrar esta página. Tente de novo em instantes.',
  'error.unavailable.title': 'Indisponível no momento',
  'error.unavailable.body':
    'O serviço está ocupado ou sendo atualizado. Tente de novo em alguns minutos.',
  'error.rateLimited.title': 'Solicitações demais',
  'error.rateLimited.body':
    'Chegaram solicitações demais da sua rede em pouco tempo. Tente de novo em {seconds} segundos.',
  'error.form.title': 'Não foi possível ler o formulário',
  'error.form.body': 'Volte, recarregue a página e tente de novo.',
  'error.notFound.title': 'Página não encontrada',
  'error.notFound.body': 'Não existe nenhuma página neste endereço.',
};
