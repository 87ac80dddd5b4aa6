// Demo/test helper: wait for a condition driven by real I/O (PTYs, HTTP), with a bound and a clear failure.
export async function waitFor(what: string, cond: () => boolean, timeoutMs = 10_000, stepMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

export const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
