#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <filesystem>
#include <fstream>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "agent/config/config.h"
#include "agent/util/error.h"

using namespace agent::config;
using agent::findings::Severity;
using Catch::Matchers::ContainsSubstring;
using Catch::Matchers::StartsWith;

namespace {
std::string error_of(const std::string& yaml, Layer layer = Layer::central, const std::string& file = "jit.yml") {
  Config c;
  try {
    apply_layer(c, yaml, file, layer);
  } catch (const agent::util::UsageError& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST_CASE("defaults: every control, diff scope, status, note and threads on") {
  Config c = default_config();
  CHECK(c.secrets);
  CHECK(c.dependencies);
  CHECK(c.mr_scope == Scope::diff);
  CHECK(c.fail_on == Severity::high);
  CHECK(c.status_enabled);
  CHECK(c.status_name == "jit-security");
  CHECK(c.summary_note);
  CHECK(c.threads);
  CHECK(c.exclude.empty());
  CHECK_FALSE(c.history);
  CHECK(load_config(std::nullopt, std::nullopt).sources.empty());
}

TEST_CASE("a full central file") {
  Config c;
  apply_layer(c, R"(
controls:
  secrets: {enabled: true}
  dependencies: false
scope: files
fail_on: critical
status:
  name: Jit Security
merge_request:
  summary_note: false
  threads: true
exclude_projects: [group/legacy, "group/*-sandbox"]
exclude: ["**/testdata/**"]
history: true
folders:
  - path: /service-a
)", "jit.yml", Layer::central);
  CHECK(c.history);
  CHECK(c.secrets);
  CHECK_FALSE(c.dependencies);
  CHECK(c.mr_scope == Scope::files);
  CHECK(c.fail_on == Severity::critical);
  CHECK(c.status_name == "Jit Security");
  CHECK_FALSE(c.summary_note);
  CHECK(c.threads);
  CHECK(c.exclude == std::vector<std::string>{"**/testdata/**"});
  REQUIRE(c.folders.size() == 1);
  CHECK(c.folders[0].file == "jit.yml");
  CHECK(c.folders[0].node.IsSequence());
  CHECK(c.sources == std::vector<std::string>{"jit.yml"});
}

TEST_CASE("fail_on none never fails") {
  Config c;
  apply_layer(c, "fail_on: none\n", "jit.yml", Layer::central);
  CHECK_FALSE(c.fail_on.has_value());
  CHECK_FALSE(fails(c, Severity::critical));
  Config d;
  CHECK(fails(d, Severity::high));
  CHECK(fails(d, Severity::critical));
  CHECK_FALSE(fails(d, Severity::medium));
  CHECK_FALSE(fails(d, Severity::unknown));
}

TEST_CASE("the repository layer overrides and adds up") {
  Config c;
  apply_layer(c, "scope: full\nexclude: [vendor/**]\nmerge_request: {threads: false}\n", "jit.yml", Layer::central);
  apply_layer(c, "scope: diff\nexclude: ['**/fixtures/**']\nfolders: [{path: /svc}]\n", ".jit/jit-config.yml",
              Layer::repository);
  CHECK(c.mr_scope == Scope::diff);
  CHECK_FALSE(c.threads);
  CHECK(c.exclude == std::vector<std::string>{"vendor/**", "**/fixtures/**"});
  REQUIRE(c.folders.size() == 1);
  CHECK(c.folders[0].file == ".jit/jit-config.yml");
  CHECK(c.sources.size() == 2);
}

TEST_CASE("errors name file:line:col") {
  CHECK(error_of("scope: diff\nscop: full\n") ==
        "jit.yml:2:1: unknown key \"scop\" in the configuration (did you mean \"scope\"?) (allowed: controls, scope, fail_on, min_confidence, status, "
        "merge_request, exclude_projects, exclude, folders, history)");
  CHECK(error_of("scope: everything\n") == "jit.yml:1:8: scope: expected diff, files or full");
  CHECK_THAT(error_of("controls:\n  secrets: maybe\n"), StartsWith("jit.yml:2:12: controls.secrets: expected true or false"));
  CHECK_THAT(error_of("controls:\n  sast: true\n"), StartsWith("jit.yml:2:3: no preset called sast"));
  CHECK_THAT(error_of("controls:\n  secrets:\n    enable: true\n"), StartsWith("jit.yml:3:5: unknown key \"enable\""));
  CHECK_THAT(error_of("fail_on: severe\n"), StartsWith("jit.yml:1:10: fail_on: expected"));
  CHECK_THAT(error_of("fail_on: unknown\n"), StartsWith("jit.yml:1:10: fail_on: expected"));
  CHECK_THAT(error_of("exclude: vendor\n"), StartsWith("jit.yml:1:10: exclude: expected a list"));
  CHECK_THAT(error_of("exclude: [a, [b]]\n"), StartsWith("jit.yml:1:14: exclude entry: expected a non-empty string"));
  CHECK_THAT(error_of("status: {name: ''}\n"), StartsWith("jit.yml:1:16: status.name"));
  CHECK_THAT(error_of("- a\n- b\n"), StartsWith("jit.yml:1:1: the configuration must be a mapping"));
  CHECK_THAT(error_of("scope: diff\nscope: full\n"), StartsWith("jit.yml:2:1: duplicate key \"scope\""));
  CHECK_THAT(error_of("folders: yes\n"), StartsWith("jit.yml:1:10: folders: expected a list"));
  CHECK_THAT(error_of("status:\n  name: [x\n"), StartsWith("jit.yml:"));
  CHECK_THAT(error_of("status:\n  name: [x\n"), ContainsSubstring("invalid YAML"));
}

TEST_CASE("central-only keys are refused in a repository file") {
  for (const char* yaml : {"fail_on: none\n", "controls: {secrets: false}\n", "status: {enabled: false}\n",
                           "exclude_projects: [a]\n"}) {
    std::string e = error_of(yaml, Layer::repository, ".jit/jit-config.yml");
    CHECK_THAT(e, StartsWith(".jit/jit-config.yml:1:1: "));
    CHECK_THAT(e, ContainsSubstring("only be set in the central configuration"));
  }
  CHECK(error_of("merge_request: {summary_note: false}\n", Layer::repository).empty());
}

TEST_CASE("a failed layer leaves the configuration untouched") {
  Config c;
  apply_layer(c, "scope: files\n", "jit.yml", Layer::central);
  CHECK_THROWS_AS(apply_layer(c, "scope: full\nbogus: 1\n", "repo.yml", Layer::repository), agent::util::UsageError);
  CHECK(c.mr_scope == Scope::files);
  CHECK(c.sources.size() == 1);
}

TEST_CASE("an empty file is the defaults") {
  Config c;
  apply_layer(c, "", "jit.yml", Layer::central);
  apply_layer(c, "# only a comment\n", "jit.yml", Layer::central);
  CHECK(c.mr_scope == Scope::diff);
  CHECK(c.sources.size() == 2);
}

TEST_CASE("load_config reads files and names a missing one") {
  auto dir = std::filesystem::temp_directory_path() / ("jit-config-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir / ".jit");
  std::ofstream(dir / "jit.yml") << "scope: full\n";
  std::ofstream(dir / ".jit" / "jit-config.yml") << "scope: files\n";
  Config c = load_config(dir / "jit.yml", dir / ".jit" / "jit-config.yml");
  CHECK(c.mr_scope == Scope::files);
  CHECK(c.sources.size() == 2);
  try {
    load_config(dir / "absent.yml", std::nullopt);
    FAIL("expected UsageError");
  } catch (const agent::util::UsageError& e) {
    CHECK_THAT(std::string(e.what()), ContainsSubstring("absent.yml: cannot read"));
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("excluded projects match path globs") {
  Config c;
  c.exclude_projects = {"group/legacy", "group/*-sandbox", "other/**/archive", "/exact/app/"};
  CHECK(project_excluded(c, "group/legacy"));
  CHECK(project_excluded(c, "group/legacy/api"));
  CHECK(project_excluded(c, "group/ui-sandbox"));
  CHECK_FALSE(project_excluded(c, "group/sub/ui-sandbox"));
  CHECK(project_excluded(c, "other/a/b/archive"));
  CHECK(project_excluded(c, "exact/app"));
  CHECK_FALSE(project_excluded(c, "group/legacy-two"));
  CHECK_FALSE(project_excluded(c, "group/app"));
  CHECK_FALSE(project_excluded(Config{}, "group/app"));
}

TEST_CASE("scope names round-trip") {
  for (auto s : {Scope::diff, Scope::files, Scope::full}) CHECK(parse_scope(to_string(s)) == s);
  CHECK_FALSE(parse_scope("DIFF").has_value());
}

TEST_CASE("the JSON Schema and the parser agree") {
  const auto path = std::filesystem::path(JIT_AGENT_SOURCE_DIR) / "schemas" / "jit-config.schema.json";
  std::ifstream in(path);
  REQUIRE(in.good());
  auto schema = nlohmann::json::parse(in);
  CHECK(schema["additionalProperties"] == false);
  // Every property the schema documents is a key the parser knows (JSON is YAML: reuse the examples).
  for (const auto& [key, _] : schema["properties"].items()) {
    std::string e = error_of(key + ": null\n");
    CHECK_THAT(e, !ContainsSubstring("unknown key"));
  }
  for (const auto& example : schema["examples"]) {
    INFO(example.dump());
    CHECK(error_of(example.dump()).empty());
  }
  CHECK_THAT(error_of("{\"scope\": \"all\"}"), ContainsSubstring("scope: expected"));
}
