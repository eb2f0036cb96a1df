/**
 * The portal's knobs, with the defaults a citizen-facing deployment wants. Tests shorten the timeouts to
 * prove them; nothing here is a secret.
 */
export interface PortalOptions {
  /** Where the page's scripts reach the local agent (NCALayer's address unless the agent runs elsewhere). */
  agentUrl?: string;
  /** Session lifetimes: idle (moves with use), absolute (from sign-in), and the login page's own session. */
  idleMinutes?: number;
  absoluteMinutes?: number;
  anonymousMinutes?: number;
  /** How long a request to sign (login, application, revocation) may wait for the signature. */
  challengeMinutes?: number;
  otp?: Partial<OtpOptions>;
  /** Re-issuance applications a person may start per 24 h (each one can send SMS codes). */
  applicationsPerDay?: number;
  /** An application not completed by then expires. */
  applicationHours?: number;
  /** Per client address, per minute (in memory on each node: the limits that must hold across nodes are in the database). */
  rateLimits?: Partial<RateLimits>;
  /** Accept NCA's test IINs (they fail the check digit). Never in production. */
  testMode?: boolean;
}

export interface OtpOptions {
  length: number;
  validMinutes: number;
  /** Wrong entries of one code before the application is refused. */
  maxAttempts: number;
  /** Codes sent per application (the first and the resends). */
  maxSends: number;
  resendAfterSeconds: number;
  /** Codes sent to one person per 24 h across applications. */
  perPersonPerDay: number;
}

export interface RateLimits {
  /** The login page's key check, challenges and sign-in. */
  login: number;
  /** Sending and checking SMS codes. */
  sms: number;
  /** Creating applications, signing them, submitting keys, revoking. */
  applications: number;
}

export interface ResolvedPortalOptions {
  agentUrl: string;
  idleMs: number;
  absoluteMs: number;
  anonymousMs: number;
  challengeMs: number;
  otp: OtpOptions;
  applicationsPerDay: number;
  applicationMs: number;
  rateLimits: RateLimits;
  testMode: boolean;
}

export const DEFAULT_AGENT_URL = 'ws://127.0.0.1:13579';

export function resolvePortalOptions(o: PortalOptions = {}): ResolvedPortalOptions {
  const minutes = (n: number) => n * 60_000;
  return {
    agentUrl: o.agentUrl ?? DEFAULT_AGENT_URL,
    idleMs: minutes(o.idleMinutes ?? 15),
    absoluteMs: minutes(o.absoluteMinutes ?? 8 * 60),
    anonymousMs: minutes(o.anonymousMinutes ?? 30),
    challengeMs: minutes(o.challengeMinutes ?? 5),
    otp: { length: 6, validMinutes: 5, maxAttempts: 5, maxSends: 3, resendAfterSeconds: 60, perPersonPerDay: 10, ...o.otp },
    applicationsPerDay: o.applicationsPerDay ?? 5,
    applicationMs: (o.applicationHours ?? 24) * 3_600_000,
    rateLimits: { login: 30, sms: 20, applications: 60, ...o.rateLimits },
    testMode: o.testMode ?? false,
  };
}
