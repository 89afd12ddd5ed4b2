import { Token } from "cdktf";

/**
 * Construct props may be Terraform references (a variable, another resource's attribute): a check applies only to a
 * value known at synth time, and Terraform (or AWS) checks the rest at plan or apply.
 */
export function isKnown(value: unknown): boolean {
  return !Token.isUnresolved(value);
}

/** The elements of a list that are known at synth time (none when the list itself is a reference). */
export function knownElements<T>(list: readonly T[]): readonly T[] {
  return isKnown(list) ? list.filter(isKnown) : [];
}

/** A construct's props problem: thrown as a plain Error naming the construct and the prop (a programming mistake). */
export function propError(construct: string, prop: string, problem: string): Error {
  return new Error(`${construct}: '${prop}' ${problem}`);
}
