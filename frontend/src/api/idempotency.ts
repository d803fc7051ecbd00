// One Idempotency-Key per user action: a fresh key for a new action, the same
// key when the same request is sent again after it failed (so a request that
// did land is not applied twice).

export interface IdempotencyKeys {
  /** The key for a request described by `fingerprint`. */
  keyFor(fingerprint: string): string;
  /** The action succeeded: the next request is a new action. */
  done(): void;
}

export function idempotencyKeys(newKey: () => string = () => crypto.randomUUID()): IdempotencyKeys {
  let pending: { fingerprint: string; key: string } | undefined;
  return {
    keyFor(fingerprint) {
      if (pending?.fingerprint !== fingerprint) pending = { fingerprint, key: newKey() };
      return pending.key;
    },
    done() {
      pending = undefined;
    },
  };
}
