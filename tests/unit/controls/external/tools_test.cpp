// The presets end to end with the real tools, where they are installed (bandit, flawfinder and
// shellcheck from Debian; eslint from scripts/install-tools.sh into $JIT_TEST_TOOLS_DIR).
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <algorithm>
#include <cstdlib>

#include "agent/controls/external/external_control.h"
#include "support.h"

using namespace agent::controls::external;
using agent::findings::Finding;
using agent::findings::ScanResult;
using agent::findings::Severity;
using Catch::Matchers::ContainsSubstring;
namespace fs = std::filesystem;

namespace {

struct PresetRun {
  ScanResult result;
  bool installed = false;
};

PresetRun run_preset(const std::string& name, const fs::path& tools_dir = {}) {
  static const auto env = external_test::test_env();
  const auto* preset = agent::config::find_preset(name);
  REQUIRE(preset);
  ExternalOptions options;
  options.env = &env;
  options.tools_dir = tools_dir;
  PresetRun run;
  if (!find_tool(*preset, options)) return run;
  run.installed = true;
  ExternalControl control(*preset, options);
  auto input = external_test::input_of(external_test::data_dir() + "/samples");
  input.jobs = 2;
  control.run(input, run.result);
  return run;
}

const Finding* find(const ScanResult& r, const std::string& rule, const std::string& path) {
  auto it = std::find_if(r.findings.begin(), r.findings.end(),
                         [&](const Finding& f) { return f.rule_id == rule && f.path == path; });
  return it == r.findings.end() ? nullptr : &*it;
}

void check_common(const ScanResult& r, const std::string& name) {
  CHECK(r.errored_controls.empty());
  for (const auto& e : r.errored_controls) UNSCOPED_INFO(e.control + ": " + e.reason);
  CHECK(r.controls == std::vector<std::string>{name});
  for (const auto& f : r.findings) {
    CHECK(f.control == name);
    CHECK(f.fingerprint.size() == 64);
    CHECK(!f.path.empty());
    CHECK(f.path.front() != '/');
  }
}

}  // namespace

TEST_CASE("preset bandit on the Python sample") {
  auto run = run_preset("bandit");
  if (!run.installed) SKIP("bandit is not installed (apt-get install bandit)");
  check_common(run.result, "bandit");
  const Finding* shell = find(run.result, "B602", "python/app.py");
  REQUIRE(shell);
  CHECK(shell->severity == Severity::high);
  CHECK(shell->line == 9);
  CHECK(shell->tool->snippet == R"(return subprocess.call("ls " + user_input, shell=True))");
  CHECK(!shell->tool->tool_version.empty());  // bandit's JSON has none: asked with --version
  CHECK(find(run.result, "B506", "python/app.py"));
}

TEST_CASE("preset flawfinder on the C sample") {
  auto run = run_preset("flawfinder");
  if (!run.installed) SKIP("flawfinder is not installed (apt-get install flawfinder)");
  check_common(run.result, "flawfinder");
  const Finding* strcpy = find(run.result, "FF1001", "c/copy.c");
  REQUIRE(strcpy);
  CHECK(strcpy->line == 9);
  CHECK(strcpy->tool->snippet == "strcpy(buffer, argv[1]);");
  CHECK(strcpy->cwes == std::vector<std::string>{"CWE-120"});
  const Finding* system = find(run.result, "FF1044", "c/copy.c");
  REQUIRE(system);
  CHECK(system->severity == Severity::high);
}

TEST_CASE("preset shellcheck on the shell samples (with an extension-less script)") {
  auto run = run_preset("shellcheck");
  if (!run.installed) SKIP("shellcheck is not installed (apt-get install shellcheck)");
  check_common(run.result, "shellcheck");
  const Finding* unquoted = find(run.result, "SC2086", "shell/deploy.sh");
  REQUIRE(unquoted);
  CHECK(unquoted->severity == Severity::info);
  CHECK(find(run.result, "SC2086", "shell/release"));
  CHECK(find(run.result, "SC2164", "shell/deploy.sh"));
  // Two identical unquoted $f on one line get distinct fingerprints (occurrence index).
  std::vector<std::string> prints;
  for (const auto& f : run.result.findings) prints.push_back(f.fingerprint);
  std::sort(prints.begin(), prints.end());
  CHECK(std::adjacent_find(prints.begin(), prints.end()) == prints.end());
}

TEST_CASE("preset eslint on the JavaScript sample") {
  const char* dir = std::getenv("JIT_TEST_TOOLS_DIR");
  if (!dir || !*dir) SKIP("JIT_TEST_TOOLS_DIR is not set (bash scripts/install-tools.sh DIR, then set it to DIR)");
  auto run = run_preset("eslint", dir);
  if (!run.installed) SKIP(std::string("eslint is not installed in ") + dir + " (bash scripts/install-tools.sh " + dir + ")");
  check_common(run.result, "eslint");
  const Finding* exec = find(run.result, "security/detect-child-process", "js/server.js");
  REQUIRE(exec);
  CHECK(exec->line == 5);
  CHECK(exec->tool->snippet == "child_process.exec('ls ' + req.query.dir);");
  CHECK(find(run.result, "security/detect-non-literal-regexp", "js/server.js"));
  CHECK(find(run.result, "security/detect-eval-with-expression", "js/server.js"));
  // TypeScript goes through @typescript-eslint/parser (type annotations would not parse otherwise).
  const Finding* ts = find(run.result, "security/detect-non-literal-regexp", "ts/handler.ts");
  REQUIRE(ts);
  CHECK(ts->line == 7);
  CHECK(find(run.result, "security/detect-eval-with-expression", "ts/handler.ts"));
}
