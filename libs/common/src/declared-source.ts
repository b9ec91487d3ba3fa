/**
 * How a built-in storage declares that it can answer reads from process memory: by identity, in
 * a registry the package keeps to itself. A `Proxy` of the storage is another object, and a
 * subclass that overrides one of the `reads` must be asked through its methods: neither is
 * registered, so both are read through their public (possibly async) methods.
 */
export class DeclaredSources<S extends object, Source> {
  private readonly sources = new WeakMap<S, Source>();

  constructor(private readonly reads: readonly (keyof S)[]) {}

  /** Called by a storage's constructor on itself; `base` is the class that declares `source`. */
  declare(storage: S, base: abstract new (...args: never[]) => S, source: Source): void {
    const prototype = base.prototype as S;
    if (this.reads.every((method) => storage[method] === prototype[method])) {
      this.sources.set(storage, source);
    }
  }

  /** The declared source of `storage`, or `undefined` when it has none. */
  of(storage: S): Source | undefined {
    return this.sources.get(storage);
  }
}
