/** A value, or a promise of it: what the gateway's steps return, so a cache hit needs no promise. */
export type MaybePromise<T> = T | Promise<T>;

/** `f` of `v`: at once when `v` is a value (no microtask hop), else once it resolves. */
export const andThen = <T, U>(v: MaybePromise<T>, f: (t: T) => MaybePromise<U>): MaybePromise<U> =>
  v instanceof Promise ? v.then(f) : f(v);
