import { describe, expect, it } from 'vitest';
import { idempotencyKeys } from './idempotency';

describe('idempotencyKeys', () => {
  const counter = () => {
    let n = 0;
    return () => `k-${++n}`;
  };

  it('reuses the key when the same request is retried', () => {
    const keys = idempotencyKeys(counter());
    expect(keys.keyFor('topup:alice:1250')).toBe('k-1');
    expect(keys.keyFor('topup:alice:1250')).toBe('k-1');
  });

  it('takes a new key for a changed request', () => {
    const keys = idempotencyKeys(counter());
    keys.keyFor('topup:alice:1250');
    expect(keys.keyFor('topup:alice:1300')).toBe('k-2');
  });

  it('takes a new key for the same request after a success', () => {
    const keys = idempotencyKeys(counter());
    keys.keyFor('topup:alice:1250');
    keys.done();
    expect(keys.keyFor('topup:alice:1250')).toBe('k-2');
  });
});
