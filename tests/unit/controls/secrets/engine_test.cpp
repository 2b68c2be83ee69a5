#include <catch2/catch_test_macros.hpp>

#include <random>
#include <set>
#include <string>
#include <tuple>

#include <re2/re2.h>

#include "agent/controls/secrets/engine.h"
#include "agent/util/hash.h"

using namespace agent::controls::secrets;
using agent::findings::Finding;
using agent::findings::ScanStats;

namespace {

// A rule with the mandatory fields; `extra` adds YAML lines (indented by 4).
std::string rule(const std::string& id, const std::string& pattern, const std::string& extra = "") {
  return "  - id: " + id + "\n    name: " + id + " name\n    description: about " + id +
         "\n    severity: high\n    pattern: '" + pattern + "'\n    examples: [x]\n" + extra;
}

Engine engine_of(const std::string& rules) {
  return Engine(load_rules_from_string("rules:\n" + rules, "test.yaml"), {});
}

struct Scan {
  std::vector<Finding> findings;
  ScanStats stats;
};

Scan scan(const Engine& engine, std::string_view data, std::string_view path = "src/app.env") {
  Scan out;
  auto scratch = engine.make_scratch();
  engine.scan(data, path, *scratch, out.findings, out.stats);
  return out;
}

const std::string kPat = rule("gitlab-pat", R"(\b(?P<secret>glpat-[0-9A-Za-z_-]{20})\b)",
                              "    keywords: [GLPAT-]\n    entropy: 3.0\n    allow: ['(?i)^glpat-x+$']\n"
                              "    references: [https://example.org/pat]\n    cwes: [CWE-798]\n");
const std::string kToken = "glpat-Xk9pQ2rT7vB4nM8sL1wZ";

}  // namespace

TEST_CASE("a match becomes a finding with the secret's position and details", "[engine]") {
  Engine engine = engine_of(kPat);
  auto r = scan(engine, "# config\n\nGITLAB_TOKEN=" + kToken + "\n");
  REQUIRE(r.findings.size() == 1);
  const Finding& f = r.findings[0];
  CHECK(f.control == "secrets");
  CHECK(f.rule_id == "gitlab-pat");
  CHECK(f.rule_name == "gitlab-pat name");
  CHECK(f.description == "about gitlab-pat");
  CHECK(f.severity == agent::findings::Severity::high);
  CHECK(f.references == std::vector<std::string>{"https://example.org/pat"});
  CHECK(f.cwes == std::vector<std::string>{"CWE-798"});
  CHECK(f.path == "src/app.env");
  CHECK(f.line == 3);
  CHECK(f.column == 14);
  CHECK(f.end_line == 3);
  CHECK(f.end_column == 39);
  REQUIRE(f.secret);
  CHECK(f.secret->raw == kToken);
  CHECK(f.secret->redacted == "glpa…");
  CHECK(f.secret->secret_sha256 == agent::util::sha256_hex(kToken));
  CHECK(f.secret->entropy > 3.0);
  CHECK(f.fingerprint.size() == 64);
  CHECK(r.stats.suppressed == 0);
}

TEST_CASE("the secret is group 'secret', else group 1, else the whole match", "[engine]") {
  Engine engine = engine_of(rule("named", "(k1)=(?P<secret>[a-z]{8})") + rule("first", "k2=([a-z]{8})") +
                            rule("whole", "k3=[a-z]{8}", "    filter_placeholders: false\n"));
  auto r = scan(engine, "k1=qwzxvbnm k2=plmokijn k3=uhbygvtf");
  REQUIRE(r.findings.size() == 3);
  CHECK(r.findings[0].secret->raw == "qwzxvbnm");
  CHECK(r.findings[1].secret->raw == "plmokijn");
  CHECK(r.findings[2].secret->raw == "k3=uhbygvtf");
  CHECK(r.findings[2].column == 25);
}

TEST_CASE("no data, no rules, no findings", "[engine]") {
  Engine engine = engine_of(kPat);
  CHECK(scan(engine, "").findings.empty());
  CHECK(scan(engine, "nothing to see here\n").findings.empty());
  Engine none(RuleSet{}, {});
  CHECK(scan(none, "GITLAB_TOKEN=" + kToken).findings.empty());
}

TEST_CASE("entropy, allow, placeholder and keyword filters", "[engine]") {
  Engine engine = engine_of(kPat);
  CHECK(scan(engine, "t=glpat-aaaaaaaaaaaaaaaaaaab").findings.empty());  // entropy below 3
  CHECK(scan(engine, "t=glpat-xxxxxxxxxxxxxxxxxxxx").findings.empty());  // allow
  CHECK(scan(engine, "t=glpat-EXAMPLEk9pQ2rT7vB4nM8").findings.empty());  // placeholder
  CHECK(scan(engine, "t=GLPAT-Xk9pQ2rT7vB4nM8sL1wZ").findings.empty());   // case matters in the pattern

  Engine keyed = engine_of(rule("keyed", R"(\b([0-9a-f]{32})\b)", "    keywords: [Datadog]\n"));
  const std::string key = "3f1c9a7e5b2d4f6a8c0e1b3d5f7a9c2e";
  CHECK(scan(keyed, "hash = " + key + "\n").findings.empty());
  CHECK(scan(keyed, "DATADOG_API_KEY = " + key + "\n").findings.size() == 1);
  CHECK(scan(keyed, "# datadog\nvalue = " + key + "\n").findings.empty());  // only the match's line counts

  Engine placeholders = engine_of(rule("pw", R"(password\s*=\s*(\S+))") +
                                  rule("pw-raw", R"(passwd\s*=\s*(\S+))", "    filter_placeholders: false\n"));
  CHECK(scan(placeholders, "password = ${DB_PASSWORD}").findings.empty());
  CHECK(scan(placeholders, "password = <your-password>").findings.empty());
  CHECK(scan(placeholders, "password = changeme").findings.empty());
  CHECK(scan(placeholders, "password = s3cr3t-Value").findings.size() == 1);
  CHECK(scan(placeholders, "passwd = ${DB_PASSWORD}").findings.size() == 1);
}

TEST_CASE("jit:allow and gitleaks:allow suppress matches on their line", "[engine]") {
  Engine engine = engine_of(kPat);
  auto r = scan(engine, "a=" + kToken + " # jit:allow\nb=" + kToken + " // gitleaks:allow\nc=" + kToken + "\n");
  REQUIRE(r.findings.size() == 1);
  CHECK(r.findings[0].line == 3);
  CHECK(r.stats.suppressed == 2);
  // A filtered match is not counted as suppressed.
  auto filtered = scan(engine, "a=glpat-xxxxxxxxxxxxxxxxxxxx # jit:allow\n");
  CHECK(filtered.stats.suppressed == 0);
}

TEST_CASE("fingerprints survive moves and stay unique", "[engine][fingerprint]") {
  Engine engine = engine_of(kPat);
  auto a = scan(engine, "t=" + kToken + "\n", "a.env");
  auto moved = scan(engine, "# new header\n\n\n   t = " + kToken + "\n", "a.env");
  auto other_path = scan(engine, "t=" + kToken + "\n", "b.env");
  REQUIRE(a.findings.size() == 1);
  REQUIRE(moved.findings.size() == 1);
  REQUIRE(other_path.findings.size() == 1);
  CHECK(moved.findings[0].line == 4);
  CHECK(a.findings[0].fingerprint == moved.findings[0].fingerprint);
  CHECK(a.findings[0].fingerprint != other_path.findings[0].fingerprint);
  auto twice = scan(engine, "t=" + kToken + "\nu=" + kToken + "\n", "a.env");
  REQUIRE(twice.findings.size() == 2);
  CHECK(twice.findings[0].fingerprint == a.findings[0].fingerprint);
  CHECK(twice.findings[1].fingerprint != twice.findings[0].fingerprint);
}

TEST_CASE("a specific rule beats a generic rule on the same secret", "[engine]") {
  Engine engine = engine_of(kPat + rule("generic-token", R"((?i)token\s*=\s*(\S{8,}))"));
  auto both = scan(engine, "GITLAB_TOKEN=" + kToken + "\n");
  REQUIRE(both.findings.size() == 1);
  CHECK(both.findings[0].rule_id == "gitlab-pat");
  auto generic_only = scan(engine, "API_TOKEN=Zq8vK2mXp9Lr\n");
  REQUIRE(generic_only.findings.size() == 1);
  CHECK(generic_only.findings[0].rule_id == "generic-token");
}

TEST_CASE("multi-line rules and line anchors", "[engine]") {
  Engine engine = engine_of(
      rule("key", R"(-----BEGIN PRIVATE KEY-----[\s\S]{10,}?-----END PRIVATE KEY-----)", "    multiline: true\n") +
      rule("anchored", R"(^TOKEN=(\w{10})$)"));
  const std::string key = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----";
  auto r = scan(engine, "x\n" + key + "\nTOKEN=a1b2c3d4e5\n  TOKEN=z9y8x7w6v5\n");
  REQUIRE(r.findings.size() == 2);
  CHECK(r.findings[0].rule_id == "key");
  CHECK(r.findings[0].line == 2);
  CHECK(r.findings[0].column == 1);
  CHECK(r.findings[0].end_line == 4);
  CHECK(r.findings[0].end_column == 25);
  CHECK(r.findings[1].rule_id == "anchored");
  CHECK(r.findings[1].line == 5);
  CHECK(r.findings[1].secret->raw == "a1b2c3d4e5");
}

TEST_CASE("many hits of one region are confirmed once and reported once", "[engine]") {
  Engine engine = engine_of(rule("run", "tok_([a-z0-9]{8,})"));
  auto r = scan(engine, "a tok_q1w2e3r4t5y6u7i8o9p0a1s2d3f4g5 b tok_z9x8c7v6b5 c\n");
  REQUIRE(r.findings.size() == 2);
  CHECK(r.findings[0].secret->raw == "q1w2e3r4t5y6u7i8o9p0a1s2d3f4g5");
  CHECK(r.findings[1].secret->raw == "z9x8c7v6b5");
}

TEST_CASE("a secret in the middle of a very long line is found at the right column", "[engine]") {
  Engine engine = engine_of(kPat);
  std::string line(1 << 20, 'a');
  for (std::size_t i = 0; i < line.size(); i += 7) line[i] = ' ';
  const std::size_t at = 600000;
  line.replace(at, kToken.size() + 2, " " + kToken + " ");
  auto r = scan(engine, "first\n" + line + "\n");
  REQUIRE(r.findings.size() == 1);
  CHECK(r.findings[0].line == 2);
  CHECK(r.findings[0].column == static_cast<int>(at) + 2);
}

TEST_CASE("a 50 MB single line finishes and finds the secret at its end", "[engine][large]") {
  Engine engine = engine_of(kPat + rule("generic-run", "(?i)key_([a-z]{20,})"));
  std::string data;
  data.reserve(50u << 20);
  // Real-looking text with a generic candidate every 64 KiB: the line is confirmed piecewise.
  std::string block;
  while (block.size() < (64u << 10)) block += "lorem ipsum dolor sit amet, consectetur adipiscing elit; ";
  block += "key_Qwzxvbnmplokijuhygtf ";
  while (data.size() < (50u << 20)) data += block;
  data += "GITLAB_TOKEN=" + kToken;
  auto r = scan(engine, data);
  std::size_t pats = 0;
  for (const auto& f : r.findings) pats += f.rule_id == "gitlab-pat";
  REQUIRE(pats == 1);
  CHECK(r.findings.size() == 1 + data.size() / block.size());
  CHECK(r.findings.back().rule_id == "gitlab-pat");
  CHECK(r.findings.back().line == 1);
  CHECK(r.findings.back().column == static_cast<int>(data.size() - kToken.size()) + 1);
}

TEST_CASE("a pathological run of one character stays linear", "[engine][large]") {
  // Every byte ends a candidate of `[a]{20,}`: bounded windows keep this linear.
  Engine engine = engine_of(rule("run", "(?P<secret>a{20,})", "    filter_placeholders: false\n"));
  std::string data(8u << 20, 'a');
  auto r = scan(engine, data);
  CHECK(r.findings.empty());  // no match ever has a natural end inside a bounded window
  auto ok = scan(engine, "x " + std::string(100, 'a') + " y");
  REQUIRE(ok.findings.size() == 1);
  CHECK(ok.findings[0].secret->raw.size() == 100);
}

TEST_CASE("a multi-line rule hit on every line stays linear", "[engine][large]") {
  // Each hit would look 64 KiB back; windows that advance 4 KiB at a time keep this linear.
  Engine engine = engine_of(
      rule("key", R"(-----BEGIN PRIVATE KEY-----[\s\S]{10,}?-----END PRIVATE KEY-----)", "    multiline: true\n"));
  std::string data;
  while (data.size() < (4u << 20)) data += "-----END PRIVATE KEY-----\n";
  const std::string key = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----";
  data += key + "\n";
  auto r = scan(engine, data);
  REQUIRE(r.findings.size() == 1);
  CHECK(r.findings[0].secret->raw == key);
  CHECK(r.findings[0].line == static_cast<int>((4u << 20) / 26 + 2));
}

namespace {

const std::string kPropertyRules =
    rule("tk", R"(tk_(?P<secret>[a-z0-9]{8,12})\b)", "    filter_placeholders: false\n") +
    rule("kv", R"((?i)key\s*=\s*([A-Z]{4,}))", "    filter_placeholders: false\n") +
    rule("abc", R"(\bab(c+)d\b)", "    filter_placeholders: false\n") +
    // Ends in a bounded range and a boundary: Vectorscan runs it trimmed (`[0-9a-z_]{3}`), the
    // engine must still find every match RE2 finds, also where windows are cut on long lines.
    rule("fb", R"(\b(?P<secret>[0-9]{2,3}\|[0-9a-z_]{3,9})(?:[^0-9a-z_]|$))", "    filter_placeholders: false\n") +
    rule("hx", R"(\bhx(?P<secret>[a-f]{2,40})\b)", "    filter_placeholders: false\n") +
    // Ends in a one-byte boundary that may be the line's end: Vectorscan runs it without.
    rule("qd", R"((?:^|[^a-z])q(?P<secret>[0-9]{3})(?:[^0-9]|$))", "    filter_placeholders: false\n");

// Every (rule, secret start, secret end) RE2 finds scanning each whole line of `text`.
std::set<std::tuple<std::string, std::size_t, std::size_t>> reference(const RuleSet& set, const std::string& text) {
  std::set<std::tuple<std::string, std::size_t, std::size_t>> out;
  for (const Rule& r : set.rules) {
    RE2 re("(?m)" + r.pattern, RE2::Latin1);
    const int group = re.NamedCapturingGroups().count("secret") ? re.NamedCapturingGroups().at("secret") : 1;
    for (std::size_t line_start = 0; line_start <= text.size();) {
      const std::size_t line_end = std::min(text.find('\n', line_start), text.size());
      std::size_t pos = line_start;
      re2::StringPiece groups[2];
      while (pos < line_end && re.Match(text, pos, line_end, RE2::UNANCHORED, groups, group + 1)) {
        const auto start = static_cast<std::size_t>(groups[group].data() - text.data());
        out.emplace(r.id, start, start + groups[group].size());
        pos = static_cast<std::size_t>(groups[0].data() - text.data()) + groups[0].size();
      }
      line_start = line_end + 1;
    }
  }
  return out;
}

std::set<std::tuple<std::string, std::size_t, std::size_t>> engine_finds(const Engine& engine, const std::string& text) {
  std::set<std::tuple<std::string, std::size_t, std::size_t>> out;
  std::vector<std::size_t> line_starts{0};
  for (std::size_t i = 0; i < text.size(); ++i)
    if (text[i] == '\n') line_starts.push_back(i + 1);
  for (const auto& f : scan(engine, text).findings) {
    const std::size_t offset = line_starts[static_cast<std::size_t>(f.line - 1)] + static_cast<std::size_t>(f.column - 1);
    out.emplace(f.rule_id, offset, offset + f.secret->raw.size());
  }
  return out;
}

// Random texts from pieces that form (and nearly form) matches of kPropertyRules.
// A newline piece stays a newline once in `newline_odds` draws (else it is a space).
std::size_t compare_on_random_texts(int rounds, int max_pieces, int newline_odds) {
  Engine engine = engine_of(kPropertyRules);
  RuleSet set = load_rules_from_string("rules:\n" + kPropertyRules, "test.yaml");
  std::mt19937 rng(20240611);
  const std::string pieces[] = {"tk_", "key=", "KEY = ", "ab", "c", "d", " ", "x", "Q", "7", "a1", "\n", "ZZZZ", "_",
                                 "12|", "|", "hx", "fe", "q", "q7"};
  std::size_t total = 0;
  for (int round = 0; round < rounds; ++round) {
    std::string text;
    const int n = std::uniform_int_distribution<int>(0, max_pieces)(rng);
    for (int i = 0; i < n; ++i) {
      const std::string& piece = pieces[std::uniform_int_distribution<std::size_t>(0, std::size(pieces) - 1)(rng)];
      text += piece == "\n" && std::uniform_int_distribution<int>(1, newline_odds)(rng) != 1 ? " " : piece;
    }
    auto expected = reference(set, text);
    INFO("round " << round << ", " << text.size() << " bytes");
    REQUIRE(engine_finds(engine, text) == expected);
    total += expected.size();
  }
  return total;
}

}  // namespace

TEST_CASE("windowed confirmation finds what RE2 finds on each whole line", "[engine][property]") {
  CHECK(compare_on_random_texts(200, 400, 1) > 200);  // short lines: the window is the line
}

TEST_CASE("windowed confirmation agrees with RE2 on lines far longer than a window", "[engine][property]") {
  // Lines of ~100 KiB: each confirmation sees a 20 KiB slice; matches are short, so none is lost.
  CHECK(compare_on_random_texts(6, 120000, 3000) > 1000);
}

TEST_CASE("rules with paths run only on the files they select, in their own pass", "[engine]") {
  // Line-anchored credential-file rules without a keyword are costly everywhere: the engine keeps
  // rules with `paths` in a second database, scanned only over files one of them selects.
  const std::string rules =
      rule("pgpass", R"(^[^:\s]+:[0-9]+:[^:\s]+:[^:\s]+:(?P<secret>[^\s:#]+))",
           "    paths: ['.pgpass', '*.pgpass']\n    filter_placeholders: false\n") +
      rule("hexkey", R"(^(?P<secret>[0-9a-f]{32})$)", "    paths: ['config/master.key']\n    filter_placeholders: false\n") +
      kPat;
  Engine engine = engine_of(rules);
  const std::string text = "db.example.com:5432:app:app:Xk9pQ2rT7vB4\n" + kToken + "\n"
                           "db.example.com:5432:app:ro:Zq8wE3rT6yU1 # jit:allow\n"
                           "0f3a9c1b7e2d4f6a8b0c1d2e3f4a5b6c\n";
  auto ids = [](const Scan& r) {
    std::vector<std::string> out;
    for (const auto& f : r.findings) out.push_back(f.rule_id + ":" + std::to_string(f.line));
    return out;
  };
  auto pgpass = scan(engine, text, "home/.pgpass");
  CHECK(ids(pgpass) == std::vector<std::string>{"pgpass:1", "gitlab-pat:2"});
  CHECK(pgpass.stats.suppressed == 1);  // the marker pass covers the path rules too
  CHECK(ids(scan(engine, text, "config/master.key")) == std::vector<std::string>{"gitlab-pat:2", "hexkey:4"});
  CHECK(ids(scan(engine, text, "src/app.env")) == std::vector<std::string>{"gitlab-pat:2"});
  CHECK(engine.path_key("home/.pgpass") != engine.path_key("src/app.env"));

  // A rule set of path rules only.
  Engine only = engine_of(rule("hexkey", R"(^(?P<secret>[0-9a-f]{32})$)",
                               "    paths: ['config/master.key']\n    filter_placeholders: false\n"));
  CHECK(ids(scan(only, text, "config/master.key")) == std::vector<std::string>{"hexkey:4"});
  CHECK(scan(only, text, "src/app.env").findings.empty());
}

TEST_CASE("a trimmed rule finds matches of every length, at line ends and around cut windows", "[engine]") {
  // `{27,32}` then a boundary: Vectorscan looks for the first 27 characters only (hs_trimmed).
  Engine engine = engine_of(rule("fb", R"(\b(?P<secret>[0-9]{15,16}\|[0-9A-Za-z_-]{27,32})(?:[^0-9A-Za-z_-]|$))",
                                 "    filter_placeholders: false\n"));
  std::vector<std::string> secrets;
  std::string text;
  for (int len = 27; len <= 33; ++len) {
    std::string s = "123456789012345|" + std::string(static_cast<std::size_t>(len), 'k');
    s[20] = 'Q';
    secrets.push_back(s);
    text += "token " + s + "\n" + "x=" + s;  // mid-line and at the end of the text's line
    text += len % 2 ? "\n" : "\r\n";
  }
  // Lines far longer than a window. A window reaches 4 KiB past its hit and is cut there; the
  // second token of each line ends 0 to 8 bytes after the first token's window edge, so the cut
  // falls inside it, between where its trimmed and its full match end.
  std::size_t planted = 0;
  const std::string token = "1234567890123456|" + std::string(29, 'Z');  // hit 2 bytes before its end
  for (std::size_t d = 0; d <= 8; ++d) {
    text += std::string(100, ' ') + token + std::string(4096 - 2 - token.size() - 1 + d, ' ') + token + " " +
            std::string(6000, ' ') + "\n";
    planted += 2;
  }
  auto r = scan(engine, text);
  std::size_t long_hits = 0;
  std::vector<std::string> found;
  for (const auto& f : r.findings) {
    if (f.secret->raw.size() == 17 + 29 && f.secret->raw.back() == 'Z') ++long_hits;
    else found.push_back(f.secret->raw);
  }
  std::vector<std::string> expected;
  for (const auto& s : secrets)
    if (s.size() <= 16 + 32) expected.insert(expected.end(), {s, s});  // 33 characters is no token
  CHECK(found == expected);
  CHECK(long_hits == planted);

  // A fixed length then a one-byte boundary: Vectorscan looks for the 46 characters without the
  // boundary, which the window's cut may separate from them.
  Engine fixed = engine_of(rule("fb46", R"(\b(?P<secret>[0-9]{16}\|[0-9A-Za-z_-]{29})(?:[^0-9A-Za-z_-]|$))",
                                "    filter_placeholders: false\n"));
  std::string lines;
  for (std::size_t d = 0; d <= 4; ++d)
    lines += std::string(100, ' ') + token + std::string(4096 - token.size() - 1 + d, ' ') + token + " " +
             std::string(6000, ' ') + "\n";
  CHECK(scan(fixed, lines).findings.size() == 10);
}
