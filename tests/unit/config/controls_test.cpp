// controls: in jit.yml: presets switched off, made required or overridden; new tools; errors.
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "agent/config/config.h"
#include "agent/config/reader.h"
#include "agent/config/show.h"
#include "agent/util/error.h"
#include "agent/util/yaml_guard.h"

using namespace agent::config;
using agent::findings::Severity;
using Catch::Matchers::ContainsSubstring;
using Catch::Matchers::StartsWith;

namespace {

Config apply(const std::string& yaml) {
  Config c = default_config();
  apply_layer(c, yaml, "jit.yml", Layer::central);
  return c;
}

std::string error_of(const std::string& yaml, Layer layer = Layer::central) {
  Config c = default_config();
  try {
    apply_layer(c, yaml, "jit.yml", layer);
  } catch (const agent::util::UsageError& e) {
    return e.what();
  }
  return "";
}

const ToolSpec& tool(const Config& c, const std::string& name) {
  for (const auto& t : c.tools)
    if (t.name == name) return t;
  FAIL("no tool " << name);
  throw;
}

std::vector<std::string> names(const Config& c) {
  std::vector<std::string> out;
  for (const auto& t : c.tools) out.push_back(t.name);
  return out;
}

std::string billion_laughs(int levels) {
  std::string y = "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n";
  for (int i = 1; i < levels; ++i) {
    std::string prev = "*a" + std::to_string(i - 1);
    y += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int k = 0; k < 9; ++k) y += (k ? ", " : "") + prev;
    y += "]\n";
  }
  return y;
}

}  // namespace

TEST_CASE("the default plan: every preset automatic, in order") {
  Config c = default_config();
  CHECK(names(c) == std::vector<std::string>{"bandit", "flawfinder", "shellcheck", "eslint"});
  for (const auto& t : c.tools) {
    CHECK(t.automatic);
    CHECK(t.enabled);
    CHECK(t.defined_at == "preset");
    CHECK(tool_mode(t) == "automatic");
  }
}

TEST_CASE("false turns a preset off, true makes it required") {
  Config c = apply("controls:\n  bandit: false\n  shellcheck: true\n");
  CHECK_FALSE(tool(c, "bandit").enabled);
  CHECK(tool_mode(tool(c, "bandit")) == "disabled");
  CHECK_FALSE(tool(c, "shellcheck").automatic);
  CHECK(tool(c, "shellcheck").enabled);
  CHECK(tool(c, "shellcheck").defined_at == "jit.yml:3:3");
  CHECK(tool_mode(tool(c, "shellcheck")) == "required");
  CHECK(tool(c, "eslint").automatic);  // untouched
}

TEST_CASE("a mapping on a preset overrides only its keys and makes it required") {
  Config c = apply("controls:\n  flawfinder:\n    timeout: 1h30m\n    exit_codes: {findings: [3]}\n");
  const ToolSpec& t = tool(c, "flawfinder");
  const ToolSpec& p = *find_preset("flawfinder");
  CHECK(t.timeout == std::chrono::seconds(5400));
  CHECK(t.exit_codes.findings == std::vector<int>{3});
  CHECK(t.exit_codes.ok == p.exit_codes.ok);
  CHECK(t.args == p.args);
  CHECK(t.command == p.command);
  CHECK(t.output == "stdout");
  CHECK(t.preset);
  CHECK_FALSE(t.automatic);
  CHECK(t.defined_at == "jit.yml:2:3");
}

TEST_CASE("new tools follow the presets in file order, with every key") {
  Config c = apply(
      "controls:\n"
      "  zeta:\n    command: zeta\n    format: gitlab-sast\n"
      "  alpha:\n"
      "    command: ${JIT_TOOLS_DIR}/alpha\n"
      "    args: [-o, '${REPORT_FILE}', '${FOLDER}']\n"
      "    format: sarif\n"
      "    languages: [go]\n"
      "    timeout: 45\n"
      "    exit_codes: {ok: [0], findings: [1], error: [2]}\n"
      "    env: [GOPATH]\n"
      "    severity: {ERROR: critical, note: info}\n"
      "    version_args: ''\n"
      "  bandit: true\n");
  CHECK(names(c) == std::vector<std::string>{"bandit", "flawfinder", "shellcheck", "eslint", "zeta", "alpha"});
  const ToolSpec& a = tool(c, "alpha");
  CHECK(a.output == "file");  // args name ${REPORT_FILE}
  CHECK(a.timeout == std::chrono::seconds(45));
  CHECK(a.env == std::vector<std::string>{"GOPATH"});
  CHECK(a.severity.at("ERROR") == Severity::critical);
  CHECK(a.severity.at("note") == Severity::info);
  CHECK(a.version_args.empty());
  CHECK_FALSE(a.preset);
  CHECK(a.defined_at == "jit.yml:5:3");
  CHECK(tool(c, "zeta").output == "stdout");  // no args naming a report file: read stdout
  CHECK(tool(c, "zeta").args.empty());
}

TEST_CASE("timeouts") {
  CHECK(parse_timeout("30s") == std::chrono::seconds(30));
  CHECK(parse_timeout("5m") == std::chrono::seconds(300));
  CHECK(parse_timeout("1h30m") == std::chrono::seconds(5400));
  CHECK(parse_timeout("1h30m15s") == std::chrono::seconds(5415));
  CHECK(parse_timeout("90") == std::chrono::seconds(90));
  CHECK(parse_timeout("90m") == std::chrono::seconds(5400));
  for (const char* bad : {"", "h", "5 m", "1h90m", "30s5m", "1h30", "1d", "-5s", "5mm", "99999999999s"})
    CHECK_FALSE(parse_timeout(bad).has_value());
  CHECK(error_of("controls:\n  bandit: {timeout: 0}\n") ==
        "jit.yml:2:21: controls.bandit.timeout: expected a duration between 1s and 24h");
  CHECK_THAT(error_of("controls:\n  bandit: {timeout: 24h1s}\n"), ContainsSubstring("between 1s and 24h"));
  CHECK(error_of("controls:\n  bandit: {timeout: 24h}\n").empty());
  CHECK_THAT(error_of("controls:\n  bandit: {timeout: soon}\n"),
             StartsWith("jit.yml:2:21: controls.bandit.timeout: expected a duration like 30s, 5m, 1h30m"));
}

TEST_CASE("exit codes are integers 0-255, each in one list") {
  CHECK(error_of("controls:\n  bandit: {exit_codes: {error: [2, 256]}}\n") ==
        "jit.yml:2:36: controls.bandit.exit_codes.error: expected an exit code, an integer 0-255");
  CHECK_THAT(error_of("controls:\n  bandit: {exit_codes: {ok: [-1]}}\n"), ContainsSubstring("integer 0-255"));
  CHECK_THAT(error_of("controls:\n  bandit: {exit_codes: {ok: [one]}}\n"), ContainsSubstring("integer 0-255"));
  CHECK_THAT(error_of("controls:\n  bandit: {exit_codes: {ok: 0}}\n"), ContainsSubstring("expected a list of exit codes"));
  // bandit's preset says findings: [1]; putting 1 in ok too is ambiguous.
  CHECK_THAT(error_of("controls:\n  bandit: {exit_codes: {ok: [0, 1]}}\n"),
             ContainsSubstring("controls.bandit.exit_codes: exit code 1 is in both ok and findings"));
  CHECK_THAT(error_of("controls:\n  bandit: {exit_codes: {warn: [1]}}\n"),
             StartsWith("jit.yml:2:25: unknown key \"warn\" in controls.bandit.exit_codes"));
}

TEST_CASE("errors name file:line:col, the expected values and a close key") {
  CHECK(error_of("fail-on: high\n") ==
        "jit.yml:1:1: unknown key \"fail-on\" in the configuration (did you mean \"fail_on\"?) (allowed: controls, scope, "
        "fail_on, min_confidence, status, merge_request, exclude_projects, exclude, folders, history)");
  CHECK_THAT(error_of("Scope: diff\n"), ContainsSubstring("(did you mean \"scope\"?)"));  // case only
  CHECK_THAT(error_of("status:\n  nmae: x\n"), StartsWith("jit.yml:2:3: unknown key \"nmae\" in status (did you mean \"name\"?)"));
  CHECK_THAT(error_of("merge_request:\n  sumary_note: false\n"),
             StartsWith("jit.yml:2:3: unknown key \"sumary_note\" in merge_request (did you mean \"summary_note\"?)"));
  CHECK_THAT(error_of("controls:\n  secrets: {enable: true}\n"),
             StartsWith("jit.yml:2:13: unknown key \"enable\" in controls.secrets (did you mean \"enabled\"?)"));
  CHECK_THAT(error_of("controls:\n  tool:\n    command: x\n    fromat: sarif\n"),
             StartsWith("jit.yml:4:5: unknown key \"fromat\" in controls.tool (did you mean \"format\"?)"));
  CHECK_THAT(error_of("controls:\n  bandit: {outptu: file}\n"), ContainsSubstring("(did you mean \"output\"?)"));
  CHECK(error_of("zzzzzz: 1\n").find("did you mean") == std::string::npos);
  // Values: the expected ones, and a close one.
  CHECK_THAT(error_of("controls:\n  t:\n    command: t\n    format: Sarif\n"),
             StartsWith("jit.yml:4:13: controls.t.format: unknown format \"Sarif\" (did you mean \"sarif\"?) (expected "
                        "sarif, gitlab-sast, bandit-json or shellcheck-json1)"));
  CHECK_THAT(error_of("controls:\n  bandit: {languages: [pyhton]}\n"),
             StartsWith("jit.yml:2:24: controls.bandit.languages: unknown language \"pyhton\" (did you mean \"python\"?)"));
  CHECK_THAT(error_of("controls:\n  bandit: {output: stout}\n"),
             StartsWith("jit.yml:2:20: controls.bandit.output: expected file or stdout (did you mean \"stdout\"?)"));
  CHECK_THAT(error_of("controls:\n  bandit: {severity: {HIGH: severe}}\n"),
             StartsWith("jit.yml:2:29: controls.bandit.severity.HIGH: expected info, low, medium, high or critical"));
  CHECK_THAT(error_of("controls:\n  bandit: {env: [MY-VAR]}\n"),
             StartsWith("jit.yml:2:18: controls.bandit.env: expected an environment variable name"));
  CHECK_THAT(error_of("controls:\n  bandit: {args: -r}\n"), StartsWith("jit.yml:2:18: controls.bandit.args: expected a list of strings"));
  CHECK_THAT(error_of("controls:\n  bandit: {args: [[a]]}\n"), StartsWith("jit.yml:2:19: controls.bandit.args entry: expected a string"));
}

TEST_CASE("every error of a file is reported") {
  std::string e = error_of("scop: diff\nstatus: {nmae: x}\ncontrols:\n  bandit: {timeout: never}\n");
  CHECK_THAT(e, ContainsSubstring("jit.yml:1:1: unknown key \"scop\""));
  CHECK_THAT(e, ContainsSubstring("\njit.yml:2:10: unknown key \"nmae\""));
  CHECK_THAT(e, ContainsSubstring("\njit.yml:4:21: controls.bandit.timeout"));
}

TEST_CASE("names, presets and new tools") {
  CHECK(error_of("controls:\n  semgrep: true\n") ==
        "jit.yml:2:3: no preset called semgrep (presets: bandit, flawfinder, shellcheck, eslint): give command and format");
  CHECK_THAT(error_of("controls:\n  bandti: false\n"),
             StartsWith("jit.yml:2:3: no preset called bandti (did you mean \"bandit\"?)"));
  CHECK_THAT(error_of("controls:\n  bandit: maybe\n"), StartsWith("jit.yml:2:11: controls.bandit: expected true or false"));
  CHECK_THAT(error_of("controls:\n  gosec: {command: gosec}\n"),
             StartsWith("jit.yml:2:3: controls.gosec: a new control needs format (gosec is not a preset"));
  CHECK_THAT(error_of("controls:\n  shelcheck: {timeout: 5m}\n"),
             StartsWith("jit.yml:2:3: controls.shelcheck: a new control needs command and format (shelcheck is not a "
                        "preset (did you mean \"shellcheck\"?)"));
  CHECK_THAT(error_of("controls:\n  My-Tool: {command: t, format: sarif}\n"),
             StartsWith("jit.yml:2:3: controls.My-Tool: a control name is 1-64 characters"));
  CHECK_THAT(error_of("controls:\n  " + std::string(65, 'a') + ": {command: t, format: sarif}\n"),
             ContainsSubstring("a control name is 1-64 characters"));
  CHECK(error_of("controls:\n  " + std::string(64, 'a') + ": {command: t, format: sarif}\n").empty());
  CHECK_THAT(error_of("controls:\n  bandit: false\n  bandit: true\n"), StartsWith("jit.yml:3:3: duplicate key \"bandit\""));
  CHECK_THAT(error_of("controls:\n  bandit: [a]\n"), StartsWith("jit.yml:2:11: controls.bandit: expected true, false or a mapping"));
  // Still central-only.
  CHECK_THAT(error_of("controls:\n  bandit: false\n", Layer::repository),
             ContainsSubstring("can only be set in the central configuration"));
}

TEST_CASE("variables in command and args") {
  CHECK(error_of("controls:\n  bandit: {args: ['${FOLDERS}']}\n") ==
        "jit.yml:2:19: controls.bandit.args entry: unknown variable ${FOLDERS} (did you mean \"FOLDER\"?) (expected "
        "WORK_DIR, FOLDER, REPORT_FILE, CHANGED_FILES, JIT_TOOLS_DIR or FILES)");
  CHECK_THAT(error_of("controls:\n  bandit: {args: ['${FOLDER']}\n"), ContainsSubstring("without a closing"));
  CHECK_THAT(error_of("controls:\n  bandit: {command: '${FILES}'}\n"), ContainsSubstring("${FILES} must be a whole argument"));
  CHECK_THAT(error_of("controls:\n  shellcheck: {args: ['--f=${FILES}']}\n"), ContainsSubstring("${FILES} must be a whole argument"));
  CHECK_THAT(error_of("controls:\n  t: {command: t, format: sarif, args: ['${FILES}']}\n"),
             ContainsSubstring("controls.t: ${FILES} needs languages"));
  CHECK(error_of("controls:\n  t: {command: t, format: sarif, args: ['${FILES}', '--list=${CHANGED_FILES}', "
                 "'${WORK_DIR}/x', '$HOME'], languages: [shell]}\n")
            .empty());
}

TEST_CASE("output and ${REPORT_FILE} agree") {
  CHECK_THAT(error_of("controls:\n  t: {command: t, format: sarif, output: file}\n"),
             StartsWith("jit.yml:2:42: controls.t: output is file but no argument names ${REPORT_FILE}"));
  CHECK_THAT(error_of("controls:\n  t: {command: t, format: sarif, output: stdout, args: ['${REPORT_FILE}']}\n"),
             StartsWith("jit.yml:2:42: controls.t: output is stdout but args name ${REPORT_FILE}"));
  // Overriding bandit's args without the report file reads stdout instead.
  Config c = apply("controls:\n  bandit: {args: [-r, '${FOLDER}', -f, json]}\n");
  CHECK(tool(c, "bandit").output == "stdout");
  CHECK(tool(c, "flawfinder").output == "stdout");
  CHECK_THAT(error_of("controls:\n  flawfinder: {output: file}\n"), ContainsSubstring("output is file but no argument"));
}

TEST_CASE("normal anchors and aliases work; alias bombs are refused fast") {
  Config c = apply(
      "controls:\n"
      "  a: {command: a, format: sarif, env: &env [HTTP_PROXY], exit_codes: &codes {findings: [1]}}\n"
      "  b: {command: b, format: sarif, env: *env, exit_codes: *codes}\n");
  CHECK(tool(c, "b").env == std::vector<std::string>{"HTTP_PROXY"});
  CHECK(tool(c, "b").exit_codes.findings == std::vector<int>{1});

  const auto start = std::chrono::steady_clock::now();
  std::string e = error_of(billion_laughs(10));
  const auto took = std::chrono::steady_clock::now() - start;
  CHECK_THAT(e, StartsWith("jit.yml:"));
  CHECK_THAT(e, ContainsSubstring("too many aliases/nodes (YAML alias bomb?)"));
  CHECK(took < std::chrono::seconds(1));
  // The position is the alias that crossed the limit: on the line of the 7th level (9^7 > 10^6).
  CHECK_THAT(e, StartsWith("jit.yml:7:"));

  // The guard alone: limits are parameters; a document under them loads like YAML::Load.
  agent::util::YamlLimits small;
  small.max_nodes = 50;
  CHECK_THROWS_WITH(agent::util::load_yaml(billion_laughs(3), "x.yml", small),
                    ContainsSubstring("too many aliases/nodes"));
  CHECK(agent::util::load_yaml(billion_laughs(3), "x.yml")["a2"].size() == 9);
  agent::util::YamlLimits few_aliases;
  few_aliases.max_aliases = 3;
  CHECK_THROWS_WITH(agent::util::load_yaml("a: &x 1\nb: [*x, *x, *x, *x]\n", "x.yml", few_aliases),
                    StartsWith("x.yml:2:17: too many aliases/nodes"));
  CHECK_THROWS_WITH(agent::util::load_yaml("a: [1\n", "x.yml"), StartsWith("x.yml:"));
  CHECK_THROWS_WITH(agent::util::load_yaml("a: *nope\n", "x.yml"), ContainsSubstring("invalid YAML"));
}

TEST_CASE("closest key: edit distance up to 2, or equal ignoring case") {
  const std::vector<std::string> keys = {"fail_on", "scope", "status"};
  CHECK(closest("fail-on", keys) == "fail_on");
  CHECK(closest("FAIL_ON", keys) == "fail_on");
  CHECK(closest("faillon", keys) == "fail_on");
  CHECK(closest("stat", keys) == "status");
  CHECK(closest("xyz", keys).empty());
  CHECK(closest("s", keys).empty());
}

TEST_CASE("show: sources of values and modes of tools") {
  Config c = default_config();
  apply_layer(c, "fail_on: low\ncontrols:\n  bandit: false\n  shellcheck: true\n", "jit.yml", Layer::central);
  apply_layer(c, "scope: full\n", "repo/.jit/jit-config.yml", Layer::repository);
  std::string yaml = show_yaml(c);
  CHECK_THAT(yaml, ContainsSubstring("fail_on: low  # jit.yml:1:10"));
  CHECK_THAT(yaml, ContainsSubstring("scope: full  # repo/.jit/jit-config.yml:1:8"));
  CHECK_THAT(yaml, ContainsSubstring("min_confidence: low  # default"));
  CHECK_THAT(yaml, ContainsSubstring("bandit:  # disabled, jit.yml:3:3"));
  CHECK_THAT(yaml, ContainsSubstring("shellcheck:  # required, jit.yml:4:3"));
  CHECK_THAT(yaml, ContainsSubstring("eslint:  # automatic, preset"));
  // The YAML shows what it says: it loads back with the same values.
  YAML::Node back = YAML::Load(yaml);
  CHECK(back["scope"].as<std::string>() == "full");
  CHECK(back["controls"]["bandit"]["enabled"].as<bool>() == false);
  CHECK(back["controls"]["flawfinder"]["output"].as<std::string>() == "stdout");
  auto j = show_json(c);
  CHECK(j["config"]["controls"]["bandit"]["mode"] == "disabled");
  CHECK(j["config"]["controls"]["eslint"]["mode"] == "automatic");
  CHECK(j["sources"]["fail_on"] == "jit.yml:1:10");
  CHECK(j["sources"]["min_confidence"] == "default");
  CHECK(j["files"].size() == 2);
}

TEST_CASE("the examples in tests/data/config agree with their expectations") {
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(JIT_TEST_DATA_DIR) / "config";
  std::size_t valid = 0, invalid = 0;
  for (const auto& entry : fs::directory_iterator(dir / "valid")) {
    INFO(entry.path());
    std::ifstream in(entry.path());
    std::stringstream ss;
    ss << in.rdbuf();
    CHECK(error_of(ss.str()).empty());
    ++valid;
  }
  for (const auto& entry : fs::directory_iterator(dir / "invalid")) {
    INFO(entry.path());
    std::ifstream in(entry.path());
    std::string first;
    std::getline(in, first);
    REQUIRE_THAT(first, StartsWith("# expect: "));
    std::stringstream ss;
    ss << first << '\n' << in.rdbuf();
    CHECK_THAT(error_of(ss.str()), ContainsSubstring(first.substr(10)));
    ++invalid;
  }
  CHECK(valid >= 5);
  CHECK(invalid >= 20);
}
