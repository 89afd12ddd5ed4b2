import { escapeTemplate, renderLiteral } from "../../src/text/template";

describe("Terraform template escaping", () => {
  it.each([
    ["${VAR} and ${A:-b}", "$${VAR} and $${A:-b}"],
    ["%{ if } directive", "%%{ if } directive"],
    ["$$ {not} $x %d", "$$ {not} $x %d"],
    ["$${already}", "$$${already}"],
  ])("escapes %j as %j and renders it back", (text, escaped) => {
    expect(escapeTemplate(text)).toBe(escaped);
    expect(renderLiteral(escapeTemplate(text))).toBe(text);
  });
});
