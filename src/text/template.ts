/**
 * Terraform reads every string of its JSON as a template: `${...}` interpolates and `%{...}` is a directive.
 * Text that must reach the instance as written (shell, systemd `${VAR}`, Keycloak's `${ENV}` placeholders) is
 * escaped to `$${` and `%%{`, which Terraform renders back to `${` and `%{`.
 */
export function escapeTemplate(text: string): string {
  // A function, not a string: in a replacement string "$$" would itself mean one "$".
  return text.replace(/\$\{/g, () => "$${").replace(/%\{/g, () => "%%{");
}

/** What Terraform renders an escaped literal to (for tests and for checking sizes). */
export function renderLiteral(template: string): string {
  return template.replace(/\$\$\{/g, () => "${").replace(/%%\{/g, () => "%{");
}
