import type { MessageKey } from './en';

/** Las páginas para participantes en español. */
export const es: Record<MessageKey, string> = {
  'layout.branding': 'Enviado con Referral Notify',
  'layout.sentBy': 'Estas páginas son de {program}.',

  'invalid.title': 'Este enlace no funciona',
  'invalid.body':
    'Puede que esté mal escrito o cortado. Vuelve a abrirlo desde el correo; si lo pegas, copia el enlace completo.',

  'verify.done.title': 'Correo electrónico confirmado',
  'verify.done.body':
    'Gracias: {email} quedó confirmado para {program}. Ya puedes cerrar esta página.',
  'verify.already.title': 'El correo electrónico ya estaba confirmado',
  'verify.already.body':
    '{email} ya estaba confirmado para {program}. No tienes que hacer nada más.',
  'verify.expired.title': 'Este enlace caducó',
  'verify.expired.body':
    'El enlace para confirmar tu correo funciona durante un tiempo limitado y este ya venció. Pide uno nuevo y ábrelo pronto.',
  'verify.used.title': 'Este enlace ya se usó',
  'verify.used.body':
    'Este enlace ya se usó o se envió otro más reciente. Abre el último correo de {program} o pide un enlace nuevo.',
  'verify.changed.title': 'Este enlace se envió a otra dirección',
  'verify.changed.body':
    'Este enlace se envió a una dirección que ya no está en tu cuenta de {program}. Pide un enlace nuevo: llegará a la dirección que tiene tu cuenta ahora.',
  'verify.resend': 'Enviarme un enlace nuevo',
  'verify.sent.title': 'Revisa tu bandeja de entrada',
  'verify.sent.body':
    'Un enlace nuevo para confirmar tu dirección va en camino a {email}. Puede tardar unos minutos; revisa también la carpeta de spam. Si no llega, quizá pediste varios enlaces en la última hora: espera un rato y vuelve a pedirlo.',

  'reset.form.title': 'Elige una contraseña nueva',
  'reset.form.intro': 'Para tu cuenta de {program}, {email}.',
  'reset.form.password': 'Contraseña nueva',
  'reset.form.passwordHint': 'Usa entre 8 y 256 caracteres.',
  'reset.form.confirm': 'Repite la contraseña nueva',
  'reset.form.submit': 'Guardar mi contraseña nueva',
  'reset.form.errors':
    'Tu contraseña no cambió. Corrige lo que está marcado abajo y vuelve a intentarlo.',
  'reset.form.tooShort': 'Usa al menos 8 caracteres.',
  'reset.form.tooLong': 'Usa como máximo 256 caracteres.',
  'reset.form.mismatch':
    'Las dos contraseñas no coinciden. Escribe la misma contraseña en los dos campos.',
  'reset.done.title': 'Tu contraseña cambió',
  'reset.done.body':
    'Ya puedes iniciar sesión en {program} con tu contraseña nueva. También enviamos un correo a {email} para avisarte del cambio.',
  'reset.expired.title': 'Este enlace caducó',
  'reset.expired.body':
    'El enlace para restablecer tu contraseña funciona durante un tiempo limitado y este ya venció. Pide uno nuevo y ábrelo pronto.',
  'reset.used.title': 'Este enlace ya se usó',
  'reset.used.body':
    'Este enlace ya se usó o se envió otro más reciente. Abre el último correo de {program} o pide un enlace nuevo.',
  'reset.changed.title': 'Este enlace se envió a otra dirección',
  'reset.changed.body':
    'Este enlace se envió a una dirección que ya no está en tu cuenta de {program}. Pide un enlace nuevo: llegará a la dirección que tiene tu cuenta ahora.',
  'reset.resend': 'Enviarme un enlace nuevo',
  'reset.sent.title': 'Revisa tu bandeja de entrada',
  'reset.sent.body':
    'Un enlace nuevo para restablecer tu contraseña va en camino a {email}. Puede tardar unos minutos; revisa también la carpeta de spam. Si no llega, quizá pediste varios enlaces en la última hora: espera un rato y vuelve a pedirlo.',
  'reset.request.title': 'Restablece tu contraseña',
  'reset.request.intro':
    'Escribe la dirección de correo de tu cuenta de {program} y te enviaremos un enlace para elegir una contraseña nueva.',
  'reset.request.email': 'Correo electrónico',
  'reset.request.emailHint': 'Por ejemplo, nombre@ejemplo.com.',
  'reset.request.submit': 'Enviarme un enlace',
  'reset.request.invalidEmail': 'Escribe una dirección de correo como nombre@ejemplo.com.',
  'reset.request.errors':
    'No se envió nada. Corrige lo que está marcado abajo y vuelve a intentarlo.',
  'reset.request.sent.title': 'Revisa tu bandeja de entrada',
  'reset.request.sent.body':
    'Si una cuenta de {program} usa {email}, un enlace para elegir una contraseña nueva va en camino. Puede tardar unos minutos; revisa también la carpeta de spam.',

  'prefs.title': 'Preferencias de correo',
  'prefs.intro': 'Elige qué correos te envía {program} a {email}.',
  'prefs.from': 'Llegaste aquí desde un correo de «{category}».',
  'prefs.leaveOne': 'Darme de baja de «{category}»',
  'prefs.legend': 'Correos que recibes',
  'prefs.left': 'Te diste de baja el {date}.',
  'prefs.save': 'Guardar mis preferencias',
  'prefs.leaveAll': 'Darme de baja de todo',
  'prefs.always.title': 'Siempre se envían',
  'prefs.always.body':
    'Los correos sobre tu cuenta (confirmar tu dirección, restablecer la contraseña) y sobre tus pagos (formularios fiscales, datos de pago) se envían siempre: los necesitas para participar.',
  'prefs.saved': 'Tus preferencias se guardaron.',
  'prefs.leftOne': 'Te diste de baja de «{category}».',
  'prefs.leftAll': 'Te diste de baja de todos los correos que puedes desactivar.',
  'prefs.nothing': 'No cambió nada: tus preferencias ya estaban así.',

  'category.rewards': 'Recompensas',
  'category.rewards.hint': 'Cuando ganas una recompensa, y cuál es.',
  'category.marketing': 'Novedades y ofertas',
  'category.marketing.hint': 'Promociones, novedades y ofertas de {program}.',

  'error.title': 'Algo salió mal',
  'error.body': 'No se pudo mostrar esta página. Vuelve a intentarlo en un momento.',
  'error.unavailable.title': 'No disponible por el momento',
  'error.unavailable.body':
    'El servicio está ocupado o se está actualizando. Vuelve a intentarlo en unos minutos.',
  'error.rateLimited.title': 'Demasiadas solicitudes',
  'error.rateLimited.body':
    'Llegaron demasiadas solicitudes desde tu red en poco tiempo. Vuelve a intentarlo en {seconds} segundos.',
  'error.form.title': 'No se pudo leer el formulario',
  'error.form.body': 'Vuelve atrás, recarga la página e inténtalo de nuevo.',
  'error.notFound.title': 'Página no encontrada',
  'error.notFound.body': 'No hay ninguna página en esta dirección.',
};
