#include <catch2/catch_test_macros.hpp>

#include "agent/controls/external/convert.h"
#include "support.h"

using namespace agent::controls::external;
using agent::findings::Finding;
using agent::findings::Severity;
using external_test::TempDir;
using external_test::write_text;
namespace fs = std::filesystem;

namespace {
Finding raw(std::string path, int line, std::string rule = "R1", std::string level = "warning") {
  Finding f;
  f.rule_id = std::move(rule);
  f.path = std::move(path);
  f.line = line;
  f.severity = Severity::medium;
  f.tool.emplace();
  f.tool->original_severity = std::move(level);
  return f;
}
}  // namespace

TEST_CASE("confine: relative, absolute, '..' and symlink escapes") {
  TempDir root;
  TempDir outside;
  write_text(root.path() / "src/a.py", "x\n");
  write_text(outside.path() / "secret.py", "y\n");
  fs::create_directory_symlink(outside.path(), root.path() / "link");
  CHECK(confine(root.path(), "src/a.py") == "src/a.py");
  CHECK(confine(root.path(), "./src//a.py") == "src/a.py");
  CHECK(confine(root.path(), (root.path() / "src/../src/a.py").string()) == "src/a.py");
  CHECK(confine(root.path(), "src/missing.py") == "src/missing.py");
  CHECK_FALSE(confine(root.path(), "../etc/passwd"));
  CHECK_FALSE(confine(root.path(), "src/../../x.py"));
  CHECK_FALSE(confine(root.path(), "/etc/passwd"));
  CHECK_FALSE(confine(root.path(), (outside.path() / "secret.py").string()));
  CHECK_FALSE(confine(root.path(), "link/secret.py"));
  CHECK_FALSE(confine(root.path(), ""));
  CHECK_FALSE(confine(root.path(), "."));
}

TEST_CASE("snippet: trimmed, control characters removed, bounded") {
  CHECK(make_snippet("   x = eval(y)  \t") == "x = eval(y)");
  CHECK(make_snippet("a\x1b[2Jb\rc") == "abc");
  std::string long_line(500, 'a');
  long_line[199] = '\xc3';  // a two-byte character across the cut
  long_line[200] = '\xa9';
  auto s = make_snippet(long_line);
  CHECK(s.size() <= 200 + std::string("…").size());
  CHECK(s.substr(s.size() - 3) == "…");
  CHECK(s.find('\xc3') == std::string::npos);
}

TEST_CASE("convert: paths, severity overrides, snippets, dropped count") {
  TempDir root;
  write_text(root.path() / "app.py", "import os\n   os.system(cmd)   \n");
  ConvertContext ctx;
  ctx.root = root.path();
  ctx.control = "my-sast";
  ctx.severity = {{"WARNING", Severity::critical}};
  ctx.tool_version = "1.0";
  ctx.commit = "abc";
  std::vector<Finding> list = {raw((root.path() / "app.py").string(), 2), raw("app.py", 1, "R2", "note"),
                               raw("../x.py", 1), raw("/etc/passwd", 1)};
  list[1].description = "bad\x1b[31m text";
  auto out = convert(std::move(list), ctx);
  CHECK(out.dropped == 2);
  REQUIRE(out.findings.size() == 2);
  CHECK(out.findings[0].path == "app.py");
  CHECK(out.findings[0].control == "my-sast");
  CHECK(out.findings[0].commit == "abc");
  CHECK(out.findings[0].severity == Severity::critical);  // "warning" overridden, any case
  CHECK(out.findings[0].tool->snippet == "os.system(cmd)");
  CHECK(out.findings[0].tool->tool_version == "1.0");
  CHECK(out.findings[1].severity == Severity::medium);
  CHECK(out.findings[1].description == "bad text");
}

TEST_CASE("fingerprints survive line moves; duplicates are dropped; identical lines get indexes") {
  TempDir root;
  write_text(root.path() / "a.py", "eval(x)\nprint(1)\neval(x)\n");
  ConvertContext ctx;
  ctx.root = root.path();
  ctx.control = "bandit";
  auto before = convert({raw("a.py", 1), raw("a.py", 3), raw("a.py", 3)}, ctx).findings;
  dedup_and_fingerprint(before, "bandit");
  REQUIRE(before.size() == 2);  // the duplicate report of line 3 is gone
  CHECK(before[0].fingerprint.size() == 64);
  CHECK(before[0].fingerprint != before[1].fingerprint);

  write_text(root.path() / "a.py", "# new first line\n\neval(x)\nprint(1)\n  eval(x)\n");
  auto after = convert({raw("a.py", 3), raw("a.py", 5)}, ctx).findings;
  dedup_and_fingerprint(after, "bandit");
  REQUIRE(after.size() == 2);
  CHECK(after[0].fingerprint == before[0].fingerprint);
  CHECK(after[1].fingerprint == before[1].fingerprint);

  auto other = convert({raw("a.py", 3)}, ctx).findings;
  dedup_and_fingerprint(other, "semgrep");
  CHECK(other[0].fingerprint != after[0].fingerprint);
}
