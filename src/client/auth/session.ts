import { refreshTokens, type UserPoolTarget } from './cognito.ts';
import type { StoredTokens, TokenStore } from './token-store.ts';

/** Refreshed this long before the tokens expire, so that a token never dies on its way to the API. */
const EXPIRY_MARGIN_MS = 30_000;

/**
 * What the API client asks for the `Authorization` header, and asks again after a 401. `describe` says
 * where the token comes from, for the hint of a refused request.
 */
export interface ApiAuth {
  readonly source: 'login' | 'DDN_API_TOKEN';
  /** The token to send, refreshed first when it has expired. */
  token(): Promise<string>;
  /** After a 401: a fresh token to retry with, or undefined when there is none to get. */
  refreshAfterRefusal(): Promise<string | undefined>;
}

/** DDN_API_TOKEN: sent as given; never refreshed. */
export function staticToken(token: string): ApiAuth {
  return {
    source: 'DDN_API_TOKEN',
    token: () => Promise.resolve(token),
    refreshAfterRefusal: () => Promise.resolve(undefined),
  };
}

export class SessionExpiredError extends Error {}

/**
 * The tokens of `ddn login`. The ID token is sent: the JWT authorizer's audience is the app client (its
 * `aud`), and it carries `cognito:username`, the user the billing access log names.
 */
export class LoginSession implements ApiAuth {
  readonly source = 'login';
  private refreshing?: Promise<StoredTokens>;

  constructor(
    private tokens: StoredTokens,
    private readonly store: TokenStore,
    private readonly region: string,
    private readonly now: () => number = Date.now,
  ) {}

  get username(): string {
    return this.tokens.username;
  }

  async token(): Promise<string> {
    if (this.tokens.expiresAt - EXPIRY_MARGIN_MS <= this.now()) await this.refresh();
    return this.tokens.idToken;
  }

  async refreshAfterRefusal(): Promise<string | undefined> {
    if (!this.tokens.refreshToken) return undefined;
    await this.refresh();
    return this.tokens.idToken;
  }

  /** One refresh at a time: concurrent requests share it. */
  private async refresh(): Promise<void> {
    const target: UserPoolTarget = { issuer: this.tokens.issuer, clientId: this.tokens.clientId, region: this.region };
    this.refreshing ??= refreshTokens(target, this.tokens).finally(() => (this.refreshing = undefined));
    try {
      this.tokens = await this.refreshing;
    } catch (err) {
      const e = err as { name?: string; message?: string };
      if (e.name === 'NotAuthorizedException' || e.message === 'no refresh token kept') {
        throw new SessionExpiredError(
          `the sign-in of ${this.tokens.username} has expired (${e.message ?? 'refused'}): run ddn login`,
        );
      }
      throw err;
    }
    this.store.write(this.tokens);
  }
}
