import { problemLine } from "../../errors";

/** One check's outcome: a summary line, or a problem line. */
export type Finding = { readonly ok: string } | { readonly problem: string };

/** `doctor error: <what>: <problem> (<fix>)`, the doctor's counterpart of `configProblem`. */
export function doctorProblem(what: string, problem: string, fix: string): Finding {
  return { problem: problemLine("doctor", what, problem, fix) };
}
