// Rows rejected the same way, one after another, are one problem (a wrong base URL, a key for the wrong
// organisation, a unit the API refuses), not a thousand: after `limit` in a row the uploader halts instead.

export class SameFailureBreaker {
  private signature: string | null = null;
  private count = 0;

  constructor(private readonly limit: number) {}

  /** Records a rejection; true when it is the `limit`-th in a row with this signature (halt, do not dead-letter). */
  reject(signature: string): boolean {
    if (signature === this.signature) this.count++;
    else {
      this.signature = signature;
      this.count = 1;
    }
    return this.count >= this.limit;
  }

  /** A row went through (or was found on the server): the streak is broken. */
  success(): void {
    this.signature = null;
    this.count = 0;
  }
}
