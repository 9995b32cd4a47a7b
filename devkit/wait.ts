// Waiting for a condition in tests: polls on the event loop and fails with a description
// after a generous bound, so a broken build fails instead of hanging the suite. The bound
// is a hang guard, not a performance assertion.

export async function waitFor(cond: () => boolean | Promise<boolean>, what: string, boundMs = 15_000): Promise<void> {
  const start = Date.now();
  // A condition that asks the kernel (a firewall listing) is async: await it, never test the promise.
  for (;;) {
    const r = cond();
    if (typeof r === 'boolean' ? r : await r) return;
    if (Date.now() - start > boundMs) throw new Error(`timed out waiting for: ${what}`);
    // An async condition may spawn a process (a firewall listing): ask it less often.
    await new Promise((res) => setTimeout(res, typeof r === 'boolean' ? 1 : 20));
  }
}

/** Lets queued immediates and microtasks run (nact handles each message in a setImmediate). */
export async function settle(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setImmediate(r));
}
