/**
 * Helpers that keep closed sets closed (docs/architecture.md, "Closed sets"): a decision over a
 * closed set (outcome classes, HTTPS deductions, misreport rules, ...) is written as a table typed
 * `Record<Member, ...>` or as a `switch` ending in {@link unreachable}, so a member added to the set
 * fails to compile until every decision handles it.
 */

/**
 * The `default` of a `switch` that handles every member of a closed set: it compiles only while
 * `value` has been narrowed to `never`, so a new member is a type error here. Throws if reached
 * anyway (a value read back from outside the type system).
 */
export function unreachable(value: never, set: string): never {
  throw new Error(`unhandled ${set}: ${String(value)}`);
}

/**
 * The members a decision table marks `true`. The table names every member of the closed set
 * (`Record<K, boolean>`), so a new member cannot be left out of the decision by forgetting it.
 */
export function membersWhere<K extends string>(table: Readonly<Record<K, boolean>>): ReadonlySet<K> {
  return new Set((Object.keys(table) as K[]).filter((k) => table[k]));
}
