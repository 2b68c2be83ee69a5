// requirements.txt includes (-r) read from files on disk: relative paths, cycles, depth limit,
// unreadable files, custom readers and the reader confined to a scan root; file name detection.
#include <catch2/catch_test_macros.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "agent/controls/dependencies/lockfiles.h"

namespace fs = std::filesystem;
using namespace agent::controls::dependencies;

namespace {

fs::path data(const std::string& rel) { return fs::path(JIT_TEST_DATA_DIR) / "lockfiles" / rel; }

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

bool has_warning(const ParsedLockfile& parsed, const std::string& text) {
  for (const std::string& w : parsed.warnings) {
    if (w.find(text) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("requirements includes are resolved relative to the including file", "[lockfiles][requirements]") {
  fs::path top = data("requirements-includes/requirements.txt");
  ParsedLockfile parsed = parse_lockfile(top.string(), slurp(top));
  REQUIRE(parsed.packages.size() == 4);
  // In reading order: the top file up to its -r, the include (and its own include), the rest.
  CHECK(parsed.packages[0].name == "flask");
  CHECK(parsed.packages[0].line == 2);
  CHECK(parsed.packages[0].declared_in.empty());
  CHECK(parsed.packages[1].name == "pytest");
  CHECK(parsed.packages[1].version == "7.0.0");
  CHECK(parsed.packages[1].line == 1);
  CHECK(parsed.packages[1].declared_in == data("requirements-includes/sub/dev.txt").lexically_normal().generic_string());
  CHECK(parsed.packages[2].name == "requests");  // normalised, extras dropped
  CHECK(parsed.packages[2].version == "2.31.0");
  CHECK(parsed.packages[2].line == 3);
  CHECK(parsed.packages[2].declared_in == data("requirements-includes/base.txt").lexically_normal().generic_string());
  CHECK(parsed.packages[3].name == "django");  // the marker does not matter
  CHECK(parsed.packages[3].line == 6);
  for (const Package& p : parsed.packages) CHECK(p.ecosystem == "PyPI");
  // The cycle back to requirements.txt is not an error; the missing file is a warning; the
  // constraints file is not read (urllib3 is not installed by it).
  CHECK(has_warning(parsed, top.string() + ":4: cannot read included file 'missing.txt'"));
  CHECK(parsed.warnings.size() == 1);
}

TEST_CASE("requirements includes stop at the depth limit", "[lockfiles][requirements]") {
  fs::path first = data("requirements-includes/deep/level1.txt");
  ParsedLockfile parsed = parse_lockfile_as(LockfileKind::requirements, first.string(), slurp(first));
  REQUIRE(parsed.packages.size() == 9);  // level1 (depth 0) .. level9 (depth 8)
  CHECK(parsed.packages.front().name == "pkg-level-9");  // the deepest include is read first
  CHECK(has_warning(parsed, "'level10.txt' is nested too deeply"));

  ParseOptions shallow;
  shallow.max_include_depth = 2;
  parsed = parse_lockfile_as(LockfileKind::requirements, first.string(), slurp(first), shallow);
  CHECK(parsed.packages.size() == 3);
}

TEST_CASE("requirements includes can come from a custom reader", "[lockfiles][requirements]") {
  std::map<std::string, std::string> files = {
      {"app/requirements.txt", "-r ../shared/base.txt\nalpha==1\n"},
      {"shared/base.txt", "beta==2\n-r /etc/passwd\n-r https://example.com/r.txt\n"},
  };
  std::vector<std::string> asked;
  ParseOptions options;
  options.read_include = [&](const std::string& path) -> std::optional<std::string> {
    asked.push_back(path);
    auto it = files.find(path);
    if (it == files.end()) return std::nullopt;
    return it->second;
  };
  ParsedLockfile parsed = parse_lockfile("app/requirements.txt", files["app/requirements.txt"], options);
  REQUIRE(parsed.packages.size() == 2);
  CHECK(parsed.packages[0].name == "beta");
  CHECK(parsed.packages[0].declared_in == "shared/base.txt");
  CHECK(parsed.packages[1].name == "alpha");
  CHECK(asked == std::vector<std::string>{"shared/base.txt", "/etc/passwd"});  // URLs are never fetched
  CHECK(has_warning(parsed, "shared/base.txt:2: cannot read included file '/etc/passwd'"));
  CHECK(has_warning(parsed, "shared/base.txt:3: remote requirements file"));
}

TEST_CASE("the reader for scans refuses paths leaving the scan root", "[lockfiles][requirements]") {
  IncludeReader reader = include_reader_within(data("requirements-includes"));
  CHECK(reader("base.txt").has_value());
  CHECK(reader("sub/../base.txt").has_value());
  CHECK_FALSE(reader("../truncated/package-lock.json").has_value());
  CHECK_FALSE(reader(data("requirements-includes/base.txt").string()).has_value());  // absolute
  CHECK_FALSE(reader("sub").has_value());  // a folder
  CHECK_FALSE(reader("nope.txt").has_value());
  CHECK_FALSE(read_include_file("/dev/zero").has_value());  // not a regular file: no endless read
}

TEST_CASE("lockfile names are recognised by base name", "[lockfiles]") {
  const std::pair<const char*, LockfileKind> known[] = {
      {"package-lock.json", LockfileKind::npm},      {"a/b/npm-shrinkwrap.json", LockfileKind::npm},
      {"yarn.lock", LockfileKind::yarn},             {"pnpm-lock.yaml", LockfileKind::pnpm},
      {"bun.lock", LockfileKind::bun},               {"requirements.txt", LockfileKind::requirements},
      {"requirements-dev.txt", LockfileKind::requirements},
      {"dev-requirements.txt", LockfileKind::requirements},
      {"poetry.lock", LockfileKind::poetry},         {"Pipfile.lock", LockfileKind::pipfile},
      {"uv.lock", LockfileKind::uv},                 {"go.mod", LockfileKind::gomod},
      {"Cargo.lock", LockfileKind::cargo},           {"Gemfile.lock", LockfileKind::gemfile},
      {"gems.locked", LockfileKind::gemfile},        {"composer.lock", LockfileKind::composer},
      {"pom.xml", LockfileKind::maven},              {"gradle.lockfile", LockfileKind::gradle},
      {"buildscript-gradle.lockfile", LockfileKind::gradle},
      {"sub\\dir\\packages.lock.json", LockfileKind::nuget},
  };
  for (const auto& [name, kind] : known) {
    INFO(name);
    CHECK(is_lockfile_name(name));
    CHECK(lockfile_kind(name) == kind);
  }
  for (const char* name : {"package.json", "go.sum", "Cargo.toml", "Gemfile", "composer.json", "notes.txt",
                           "requirements.in", "pom.xml.bak", "yarn.lock/", ""}) {
    INFO(name);
    CHECK_FALSE(is_lockfile_name(name));
  }
  CHECK_THROWS(parse_lockfile("package.json", "{}"));
}
