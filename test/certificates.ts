import { execFileSync } from "node:child_process";
import * as fs from "node:fs";

/** A self-signed ECDSA P-256 certificate for `commonName` (and `subjectAltName`, if given), made by the real openssl;
 * written to `<base>.crt` and `<base>.key`, returned as PEM text. */
export function selfSignedCertificate(
  base: string,
  commonName: string,
  subjectAltName?: string,
): { cert: string; key: string } {
  execFileSync(
    "openssl",
    [
      ...[
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-days",
        "1",
        "-subj",
        `/CN=${commonName}`,
      ],
      ...(subjectAltName ? ["-addext", `subjectAltName=${subjectAltName}`] : []),
      ...["-keyout", `${base}.key`, "-out", `${base}.crt`],
    ],
    { stdio: "ignore" },
  );
  return { cert: fs.readFileSync(`${base}.crt`, "utf8"), key: fs.readFileSync(`${base}.key`, "utf8") };
}
