/**
 * The properties of `o` that are not undefined, so that spreading the result over defaults keeps
 * a default wherever `o` leaves the property undefined.
 */
export function definedOnly<T extends object>(o: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]?: Exclude<T[K], undefined>;
  };
}
