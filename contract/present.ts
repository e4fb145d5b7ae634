/**
 * For a value an invariant makes present (an index inside the array's own bounds, the first of a list checked
 * non-empty, a regex group that always matches): `present(x, 'what')` returns it typed as present, or throws
 * an error that names the broken invariant — instead of `x!`, which would fail later and far away with
 * "cannot read properties of undefined". Where a value can really be absent, check it instead.
 */
export function present<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`${what}: expected a value, found none`);
  return value;
}

/**
 * `list[index]` for an index known to be inside the list (negative counts from the end, as `Array#at`);
 * throws with the index and the length when it is not.
 */
export function at<T>(list: ArrayLike<T>, index: number, what = 'list'): T {
  const i = index < 0 ? list.length + index : index;
  if (i < 0 || i >= list.length) throw new Error(`${what}: no item ${index} (length ${list.length})`);
  return list[i] as T;
}
