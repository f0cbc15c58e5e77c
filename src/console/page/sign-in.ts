// Sign-in to the API's Cognito user pool from the page: InitiateAuth is one of Cognito's public
// (unsigned) operations, a JSON 1.1 POST the browser can make itself.
import { StepError } from './api.ts';

/** What config.json says about sign-in; null when the API is open. */
export interface ConsoleSignIn {
  /** `{cognito endpoint}/{userPoolId}`. */
  issuer: string;
  clientId: string;
}

export interface PageTokens {
  username: string;
  idToken: string;
  refreshToken?: string;
  /** Epoch ms. */
  expiresAt: number;
}

/** The answer of a sign-in: tokens, or the pool's demand for a new password (temporary password used). */
export type SignInOutcome = { tokens: PageTokens } | { newPasswordRequired: { session: string; userIdForSrp: string } };

const TARGET_PREFIX = 'AWSCognitoIdentityProviderService.';
const STORAGE_KEY = 'ddn.console.tokens';
const EXPIRY_MARGIN_MS = 30_000;

/**
 * Where the page calls Cognito: the issuer minus the pool id. A local edge is reached through the page's own
 * origin when it is the same edge (the page may be opened as `localhost` while the issuer names 127.0.0.1),
 * so the browser needs no CORS for it.
 */
export function cognitoEndpointFor(issuer: string, pageOrigin: string): string {
  const endpoint = new URL(issuer.slice(0, issuer.lastIndexOf('/')) || issuer);
  const page = new URL(pageOrigin);
  if (endpoint.port === page.port && isLoopback(endpoint.hostname) && isLoopback(page.hostname)) return pageOrigin;
  return endpoint.origin + endpoint.pathname.replace(/\/+$/, '');
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\./.test(hostname);
}

interface AuthenticationResult {
  IdToken?: string;
  RefreshToken?: string;
  ExpiresIn?: number;
}

interface CognitoAnswer {
  AuthenticationResult?: AuthenticationResult;
  ChallengeName?: string;
  Session?: string;
  ChallengeParameters?: Record<string, string>;
}

async function callCognito(endpoint: string, operation: string, body: unknown): Promise<CognitoAnswer> {
  let response: Response;
  try {
    response = await fetch(`${endpoint}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `${TARGET_PREFIX}${operation}` },
      body: JSON.stringify(body),
    });
  } catch (err) {
    throw new StepError(`Signing in could not reach the user pool: ${(err as Error).message}`);
  }
  const text = await response.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // reported below
  }
  if (!response.ok) {
    const message = typeof json.message === 'string' ? json.message : `HTTP ${response.status}`;
    throw new StepError(`Sign-in refused: ${message}`);
  }
  return json;
}

function tokensFrom(username: string, result: AuthenticationResult | undefined, previousRefresh?: string): PageTokens {
  if (!result?.IdToken) throw new StepError('The user pool answered without tokens.');
  return {
    username,
    idToken: result.IdToken,
    refreshToken: result.RefreshToken ?? previousRefresh,
    expiresAt: Date.now() + (result.ExpiresIn ?? 3600) * 1000,
  };
}

/** USER_PASSWORD_AUTH. */
export async function signIn(
  endpoint: string,
  clientId: string,
  username: string,
  password: string,
): Promise<SignInOutcome> {
  const answer = await callCognito(endpoint, 'InitiateAuth', {
    AuthFlow: 'USER_PASSWORD_AUTH',
    ClientId: clientId,
    AuthParameters: { USERNAME: username, PASSWORD: password },
  });
  if (answer.AuthenticationResult) return { tokens: tokensFrom(username, answer.AuthenticationResult) };
  if (answer.ChallengeName === 'NEW_PASSWORD_REQUIRED' && answer.Session) {
    return {
      newPasswordRequired: {
        session: answer.Session,
        userIdForSrp: answer.ChallengeParameters?.USER_ID_FOR_SRP ?? username,
      },
    };
  }
  throw new StepError(
    `The user pool asked for ${answer.ChallengeName ?? 'an unknown step'}, which this page cannot answer.`,
  );
}

/** Answers NEW_PASSWORD_REQUIRED. */
export async function setNewPassword(
  endpoint: string,
  clientId: string,
  username: string,
  challenge: { session: string; userIdForSrp: string },
  newPassword: string,
): Promise<PageTokens> {
  const answer = await callCognito(endpoint, 'RespondToAuthChallenge', {
    ClientId: clientId,
    ChallengeName: 'NEW_PASSWORD_REQUIRED',
    Session: challenge.session,
    ChallengeResponses: { USERNAME: challenge.userIdForSrp, NEW_PASSWORD: newPassword },
  });
  return tokensFrom(username, answer.AuthenticationResult);
}

/** REFRESH_TOKEN_AUTH. */
export async function refresh(endpoint: string, clientId: string, tokens: PageTokens): Promise<PageTokens> {
  if (!tokens.refreshToken) throw new StepError('Your sign-in has expired: sign in again.');
  const answer = await callCognito(endpoint, 'InitiateAuth', {
    AuthFlow: 'REFRESH_TOKEN_AUTH',
    ClientId: clientId,
    AuthParameters: { REFRESH_TOKEN: tokens.refreshToken },
  });
  return tokensFrom(tokens.username, answer.AuthenticationResult, tokens.refreshToken);
}

export function needsRefresh(tokens: PageTokens, now = Date.now()): boolean {
  return tokens.expiresAt - EXPIRY_MARGIN_MS <= now;
}

/** Tokens live for the browser tab (sessionStorage), keyed by the pool and client they belong to. */
export function loadTokens(settings: ConsoleSignIn): PageTokens | undefined {
  const raw = sessionStorage.getItem(`${STORAGE_KEY}:${settings.issuer}:${settings.clientId}`);
  if (!raw) return undefined;
  try {
    return JSON.parse(raw) as PageTokens;
  } catch {
    return undefined;
  }
}

export function saveTokens(settings: ConsoleSignIn, tokens: PageTokens | undefined): void {
  const key = `${STORAGE_KEY}:${settings.issuer}:${settings.clientId}`;
  if (tokens) sessionStorage.setItem(key, JSON.stringify(tokens));
  else sessionStorage.removeItem(key);
}
