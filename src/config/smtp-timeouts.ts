// The fixed timeouts of SMTP connections. They live with the configuration because the
// shortest delivery claim it accepts (MESSAGE_CLAIM_MS) is derived from them.

/** Timeouts in milliseconds for one SMTP connection. */
export interface SmtpTimeouts {
  /** TCP connect, and for `ssl` the TLS handshake too. */
  connectionTimeoutMs: number;
  /**
   * From connected to the server's 220 greeting. nodemailer 10 also ends the wait when
   * connectionTimeoutMs, counted from the start of the connect, runs out first.
   */
  greetingTimeoutMs: number;
  /** Longest silence once the session runs. */
  socketTimeoutMs: number;
  /** Resolving the host name. */
  dnsTimeoutMs: number;
}

// Connect: a person is waiting for the answer, so it must come quickly.
export const VERIFY_TIMEOUTS: Readonly<SmtpTimeouts> = {
  connectionTimeoutMs: 10_000,
  greetingTimeoutMs: 10_000,
  socketTimeoutMs: 10_000,
  dnsTimeoutMs: 10_000,
};

// Delivery: large messages and busy servers need longer silences than a verify.
export const SEND_TIMEOUTS: Readonly<SmtpTimeouts> = {
  connectionTimeoutMs: 10_000,
  greetingTimeoutMs: 10_000,
  socketTimeoutMs: 60_000,
  dnsTimeoutMs: 10_000,
};
