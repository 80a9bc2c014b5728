/** The participant pages in English; the other languages must have exactly these keys (checked by the compiler). */
export const en = {
  'layout.branding': 'Sent with Referral Notify',
  'layout.sentBy': 'These pages belong to {program}.',

  'invalid.title': 'This link does not work',
  'invalid.body':
    'It may be mistyped or cut off. Open it again from the email; if you paste it, copy the whole link.',

  'verify.done.title': 'Email address confirmed',
  'verify.done.body': 'Thank you: {email} is confirmed for {program}. You can close this page.',
  'verify.already.title': 'Email address already confirmed',
  'verify.already.body': '{email} is already confirmed for {program}. There is nothing more to do.',
  'verify.expired.title': 'This link has expired',
  'verify.expired.body':
    'A link to confirm your email address works for a limited time, and this one ran out. Ask for a new one and open it soon.',
  'verify.used.title': 'This link was already used',
  'verify.used.body':
    'This link was used before, or a newer one was sent since. Open the newest email from {program}, or ask for a new link.',
  'verify.changed.title': 'This link went to another address',
  'verify.changed.body':
    'This link was sent to an address that is no longer on your {program} account. Ask for a new link: it goes to the address on your account now.',
  'verify.resend': 'Send me a new link',
  'verify.sent.title': 'Check your inbox',
  'verify.sent.body':
    'A new link to confirm your address is on its way to {email}. It can take a few minutes; look in your spam folder too. If nothing arrives, you may have asked for several links in the last hour: wait a while and ask again.',

  'reset.form.title': 'Choose a new password',
  'reset.form.intro': 'For your {program} account, {email}.',
  'reset.form.password': 'New password',
  'reset.form.passwordHint': 'Use 8 to 256 characters.',
  'reset.form.confirm': 'New password, again',
  'reset.form.submit': 'Save my new password',
  'reset.form.errors': 'Your password was not changed. Fix what is marked below and try again.',
  'reset.form.tooShort': 'Use at least 8 characters.',
  'reset.form.tooLong': 'Use at most 256 characters.',
  'reset.form.mismatch': 'The two passwords are not the same. Type the same password twice.',
  'reset.done.title': 'Your password was changed',
  'reset.done.body':
    'You can sign in to {program} with your new password now. We also sent an email to {email} to say that it changed.',
  'reset.expired.title': 'This link has expired',
  'reset.expired.body':
    'A link to reset your password works for a limited time, and this one ran out. Ask for a new one and open it soon.',
  'reset.used.title': 'This link was already used',
  'reset.used.body':
    'This link was used before, or a newer one was sent since. Open the newest email from {program}, or ask for a new link.',
  'reset.changed.title': 'This link went to another address',
  'reset.changed.body':
    'This link was sent to an address that is no longer on your {program} account. Ask for a new link: it goes to the address on your account now.',
  'reset.resend': 'Send me a new link',
  'reset.sent.title': 'Check your inbox',
  'reset.sent.body':
    'A new link to reset your password is on its way to {email}. It can take a few minutes; look in your spam folder too. If nothing arrives, you may have asked for several links in the last hour: wait a while and ask again.',
  'reset.request.title': 'Reset your password',
  'reset.request.intro':
    'Enter the email address of your {program} account, and we will send you a link to choose a new password.',
  'reset.request.email': 'Email address',
  'reset.request.emailHint': 'For example, name@example.com.',
  'reset.request.submit': 'Send me a link',
  'reset.request.invalidEmail': 'Enter an email address such as name@example.com.',
  'reset.request.errors': 'Nothing was sent. Fix what is marked below and try again.',
  'reset.request.sent.title': 'Check your inbox',
  'reset.request.sent.body':
    'If a {program} account uses {email}, a link to choose a new password is on its way there. It can take a few minutes; look in your spam folder too.',

  'prefs.title': 'Email preferences',
  'prefs.intro': 'Choose which emails {program} sends to {email}.',
  'prefs.from': 'You came here from a “{category}” email.',
  'prefs.leaveOne': 'Unsubscribe from “{category}”',
  'prefs.legend': 'Emails you get',
  'prefs.left': 'Unsubscribed on {date}.',
  'prefs.save': 'Save my preferences',
  'prefs.leaveAll': 'Unsubscribe from all',
  'prefs.always.title': 'Always sent',
  'prefs.always.body':
    'Emails about your account (confirming your address, password resets) and about your payouts (tax forms, payout details) are always sent: you need them to take part.',
  'prefs.saved': 'Your preferences were saved.',
  'prefs.leftOne': 'You are unsubscribed from “{category}”.',
  'prefs.leftAll': 'You are unsubscribed from every email you can turn off.',
  'prefs.nothing': 'Nothing changed: your preferences were already like this.',

  'category.rewards': 'Rewards',
  'category.rewards.hint': 'When you earn a reward, and what it is.',
  'category.marketing': 'News and offers',
  'category.marketing.hint': 'Promotions, news and offers from {program}.',

  'error.title': 'Something went wrong',
  'error.body': 'This page could not be shown. Try again in a moment.',
  'error.unavailable.title': 'Temporarily unavailable',
  'error.unavailable.body': 'The service is busy or being updated. Try again in a few minutes.',
  'error.rateLimited.title': 'Too many requests',
  'error.rateLimited.body':
    'Too many requests came from your network in a short time. Try again in {seconds} seconds.',
  'error.form.title': 'The form could not be read',
  'error.form.body': 'Go back, reload the page and try again.',
  'error.notFound.title': 'Page not found',
  'error.notFound.body': 'There is no page at this address.',
};

export type MessageKey = keyof typeof en;
