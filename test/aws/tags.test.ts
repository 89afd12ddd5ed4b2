import {
  badTagCharacters,
  quoteCharacters,
  unicodeLength,
  withoutBadTagCharacters,
  TAG_KEY_CHARACTERS_TEXT,
  TAG_KEY_MAX,
  TAG_VALUE_CHARACTERS_TEXT,
  TAG_VALUE_MAX,
} from "../../src/aws/tags";

describe("tag characters as IAM and SSM accept them ([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@])", () => {
  it.each([
    "Team A-B 1",
    "a/b:c=d+e@f_g.h",
    "Équipe identité",
    "認証 チーム",
    "٣٤٥",
    "non\u00a0breaking",
    "Ünïcödé Ωmega",
  ])("accepts %j", (text) => {
    expect(badTagCharacters(text)).toEqual([]);
  });

  it.each([
    ["Team (A&B), #1!", ["(", "&", ")", ",", "#", "!"]],
    ["a\tb\nc", ["\t", "\n"]],
    ["price $5 * 2", ["$", "*"]],
    ["say \"hi\" 'there'", ['"', "'"]],
    ["a;b|c~d", [";", "|", "~"]],
    ["key🔑", ["🔑"]],
    ["x—y", ["—"]],
  ])("refuses in %j the characters %j, each once", (text, bad) => {
    expect(badTagCharacters(text)).toEqual(bad);
  });

  it("suggests the text without them, spaces made single", () => {
    expect(withoutBadTagCharacters("Team (A&B), #1!")).toBe("Team AB 1");
    expect(withoutBadTagCharacters("  a ( b  ")).toBe("a b");
    expect(withoutBadTagCharacters("#!")).toBe("");
  });

  it("quotes the characters for a message, control characters escaped", () => {
    expect(quoteCharacters(["(", "\n"])).toBe('"(", "\\n"');
  });

  it("counts Unicode characters, not UTF-16 units", () => {
    expect(unicodeLength("🔑🔑")).toBe(2);
    expect(unicodeLength("été")).toBe(3);
  });

  it("keeps keys to the EC2 API's 127 and values to 256", () => {
    expect([TAG_KEY_MAX, TAG_VALUE_MAX]).toEqual([127, 256]);
  });
});

describe("tag keys as DLM also accepts them (^(?!aws:)[a-zA-Z+-=._:/]+$, within IAM's set)", () => {
  it.each(["cost-center", "a/b:c=d+e_f.g-1", "Team42"])("accepts %j", (key) => {
    expect(badTagCharacters(key, "key")).toEqual([]);
  });

  it.each([
    ["Cost Center", [" "]],
    ["Équipe", ["É"]],
    ["owner@team", ["@"]],
    ["部署", ["部", "署"]],
    ["a,b;c<d", [",", ";", "<"]],
  ])("refuses in %j the characters %j", (key, bad) => {
    expect(badTagCharacters(key, "key")).toEqual(bad);
  });

  it("suggests the key with accents dropped, spaces made dashes and the rest left out", () => {
    expect(withoutBadTagCharacters("Cost  Center", "key")).toBe("Cost-Center");
    expect(withoutBadTagCharacters("Équipe@", "key")).toBe("Equipe");
    expect(withoutBadTagCharacters("部署", "key")).toBe("");
  });

  it("says which characters keys and values take", () => {
    expect(TAG_KEY_CHARACTERS_TEXT).toBe("ASCII letters, digits and _ . : / = + -");
    expect(TAG_VALUE_CHARACTERS_TEXT).toBe("letters, digits, spaces and _ . : / = + - @");
  });
});
