/** Lambda authorizer answers by identity-source values, one cache per stage (ResetAuthorizersCache empties it). */
type Entries<T> = Map<string, { expiresAt: number; value: T }>;

export class AuthorizerResultCache<T> {
  private readonly stages = new Map<string, Entries<T>>();

  get(apiId: string, stageName: string, key: string, now: number): T | undefined {
    const stage = this.stages.get(`${apiId}/${stageName}`);
    const entry = stage?.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt > now) return entry.value;
    stage!.delete(key);
    return undefined;
  }

  set(apiId: string, stageName: string, key: string, value: T, expiresAt: number): void {
    const id = `${apiId}/${stageName}`;
    let stage = this.stages.get(id);
    if (!stage) this.stages.set(id, (stage = new Map() as Entries<T>));
    // Bounded: a stage that sees more distinct identities than this starts over.
    if (stage.size >= 10_000) stage.clear();
    stage.set(key, { expiresAt, value });
  }

  resetStage(apiId: string, stageName: string): void {
    this.stages.delete(`${apiId}/${stageName}`);
  }
}
