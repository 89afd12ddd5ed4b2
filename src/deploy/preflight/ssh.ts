import { KeycloakEc2Config } from "../../config/schema";
import { doctorProblem, Finding } from "./finding";

/** A key pair whenever sshCidrs opens port 22: without one nobody could log in. */
export function checkSsh(config: KeycloakEc2Config): Finding {
  if (config.sshCidrs.length === 0)
    return { ok: config.profile === "article" ? "SSH: closed" : "SSH: closed (log in with Session Manager)" };
  if (!config.keyName) {
    return doctorProblem(
      "keyName",
      `sshCidrs opens port 22 but no key pair is named`,
      config.profile === "article"
        ? `set keyName to an existing EC2 key pair in ${config.region}: it is the guide's keyname variable`
        : `set keyName to an existing EC2 key pair in ${config.region}, or set sshCidrs to [] and use Session Manager`,
    );
  }
  return {
    ok: `SSH: key pair "${config.keyName}" (must exist in ${config.region}) from ${config.sshCidrs.join(", ")}`,
  };
}
