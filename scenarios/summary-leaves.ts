/**
 * The leaf schemas of summary.json (scenarios/summary.ts) and of the blocks scenarios add to it
 * (scenarios/scale-out/result.ts, scenarios/storm/result.ts): one copy, so every block says the same
 * `expected` words in scenarios/validate.ts's messages ("expected a count (integer ≥ 0) …").
 */
import { type TSchema, Type } from '@sinclair/typebox';

/** A finite number (JSON has no NaN: a NaN written by mistake arrives as null and is refused). */
export const Num = Type.Number({ expected: 'a finite number' });
/** A count: integer ≥ 0. */
export const Count = Type.Integer({ minimum: 0, expected: 'a count (integer ≥ 0)' });
export const Str = Type.String({ expected: 'a string' });
export const Bool = Type.Boolean({ expected: 'true or false' });
export const NumOrNull = Type.Union([Num, Type.Null()], { expected: 'a finite number or null' });
export const CountOrNull = Type.Union([Count, Type.Null()], { expected: 'a count or null' });
export const Obj = <P extends Record<string, TSchema>>(properties: P) =>
  Type.Object(properties, { expected: 'an object' });
export const List = <T extends TSchema>(item: T, nonEmpty = false) =>
  Type.Array(item, { expected: 'an array', ...(nonEmpty ? { minItems: 1, tooFew: 'at least one entry' } : {}) });
/** Keyed by transport name, any subset (the transports a run had); summary.ts's PerTransport is the strict one. */
export const ByTransport = <T extends TSchema>(item: T) =>
  Type.Record(Type.String(), item, { expected: 'an object keyed by transport' });
