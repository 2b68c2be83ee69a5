// Expected packages (name, version, ecosystem, direct/transitive, line) for a sample of the shared
// fixtures: at least one per format, checked against the files by hand.
#include <catch2/catch_test_macros.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "agent/controls/dependencies/lockfiles.h"
#include "agent/controls/dependencies/parsers.h"

namespace fs = std::filesystem;
using namespace agent::controls::dependencies;

namespace {

constexpr int D = 1;   // direct
constexpr int T = 0;   // transitive
constexpr int U = -1;  // the format does not say

struct Want {
  std::string name;
  std::string version;
  int direct;
  int line;
};

fs::path fixture(const std::string& rel) { return fs::path(JIT_SHARED_DATA_DIR) / "lockfiles" / rel; }

ParsedLockfile parse(LockfileKind kind, const std::string& rel) {
  std::ifstream in(fixture(rel), std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return parse_lockfile_as(kind, fixture(rel).string(), s.str());
}

void expect(const ParsedLockfile& got, const std::string& ecosystem, const std::vector<Want>& want) {
  INFO(got.path);
  REQUIRE(got.packages.size() == want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    const Package& p = got.packages[i];
    INFO(i << ": " << p.name << " " << p.version << " line " << p.line);
    CHECK(p.name == want[i].name);
    CHECK(p.version == want[i].version);
    CHECK(p.ecosystem == ecosystem);
    CHECK(p.line == want[i].line);
    CHECK(p.direct_known == (want[i].direct != U));
    CHECK(p.direct == (want[i].direct == D));
  }
}

#define REQUIRE_SHARED_DATA()                                                               \
  if (!fs::is_directory(fixture(""))) SKIP("shared lockfile fixtures absent: " + fixture("").string())

}  // namespace

TEST_CASE("npm package-lock.json v1, v2, v3", "[lockfiles][shared-data]") {
  REQUIRE_SHARED_DATA();
  auto v1 = parse(LockfileKind::npm, "javascript_packagelockjson/alias.v1.json");
  CHECK(v1.format == "package-lock.json v1");
  expect(v1, "npm", {{"@babel/code-frame", "7.0.0", U, 5}, {"string-width", "5.1.2", U, 13},
                     {"string-width", "4.2.0", U, 23}});
  expect(parse(LockfileKind::npm, "javascript_packagelockjson/alias.v2.json"), "npm",
         {{"@babel/code-frame", "7.0.0", D, 13}, {"string-width", "5.1.2", D, 22}, {"string-width", "4.2.0", D, 32}});
  auto v3 = parse(LockfileKind::npm, "javascript_packagelockjson/bundled-dependencies.v3.json");
  CHECK(v3.format == "package-lock.json v3");
  expect(v3, "npm", {{"ansi-regex", "6.2.2", T, 22}, {"semver", "7.7.2", D, 35}, {"strip-ansi", "7.1.2", D, 49}});
  // Nested node_modules copies; a local folder ("deps/etag") is a package too (its source: the folder).
  expect(parse(LockfileKind::npm, "javascript_packagelockjson/files.v2.json"), "npm",
         {{"etag", "1.8.0", D, 16}, {"abbrev", "1.0.9", T, 36}, {"abbrev", "2.3.4", T, 42}});
}

TEST_CASE("yarn.lock classic and berry", "[lockfiles][shared-data]") {
  REQUIRE_SHARED_DATA();
  expect(parse(LockfileKind::yarn, "javascript_yarnlock/with-aliases.v1.lock"), "npm",
         {{"ansi-regex", "5.0.1", U, 5}, {"ansi-regex", "6.0.1", U, 10},
          {"@babel/helper-validator-identifier", "7.22.20", U, 15}});
  // Berry: the workspace entry lists the direct descriptors; the workspace itself is left out.
  auto berry = parse(LockfileKind::yarn, "javascript_yarnlock/with-aliases.v2.lock");
  CHECK(berry.format == "yarn.lock berry (v8)");
  expect(berry, "npm", {{"ansi-regex", "5.0.1", D, 8}, {"ansi-regex", "6.0.1", D, 15},
                        {"@babel/helper-validator-identifier", "7.22.20", D, 22}});
  expect(parse(LockfileKind::yarn, "javascript_yarnlock/with-prerelease.v2.lock"), "npm",
         {{"@nicolo-ribaudo/chokidar-2", "2.1.8-no-fsevents.3", T, 8}, {"gensync", "1.0.0-beta.2", T, 15}});
  // file: and link: entries are local code, listed with their folder (lockfiles_inventory_test).
  expect(parse(LockfileKind::yarn, "javascript_yarnlock/files.v1.lock"), "npm",
         {{"etag", "1.8.1", U, 5}, {"filedep", "1.2.0", U, 9}, {"lodash", "1.3.1", U, 12},
          {"other_package", "0.0.2", U, 16}, {"sprintf-js", "0.0.0", U, 24}, {"etag", "1.8.0", U, 27}});
}

TEST_CASE("pnpm-lock.yaml v5, v6 and v9", "[lockfiles][shared-data]") {
  REQUIRE_SHARED_DATA();
  expect(parse(LockfileKind::pnpm, "javascript_pnpmlock/peer-dependencies.yaml"), "npm",
         {{"acorn-jsx", "5.3.2", D, 13}, {"acorn", "8.7.0", D, 21}});
  expect(parse(LockfileKind::pnpm, "javascript_pnpmlock/peer-dependencies-advanced-v6.yaml"), "npm",
         {{"js-tokens", "4.0.0", T, 14},
          {"loose-envify", "1.4.0", T, 18},
          {"react-dom", "18.3.0-canary-ab31a9ed2-20230824", D, 25},
          {"react", "18.3.0-canary-ab31a9ed2-20230824", T, 35},
          {"scheduler", "0.24.0-canary-ab31a9ed2-20230824", T, 42}});
  auto v9 = parse(LockfileKind::pnpm, "javascript_pnpmlock/multiple-versions.v9.yaml");
  CHECK(v9.format == "pnpm-lock.yaml v9.0");
  expect(v9, "npm", {{"uuid", "8.0.0", T, 20}, {"uuid", "8.3.2", D, 24}, {"xmlbuilder", "11.0.1", T, 28}});
  auto exotic = parse(LockfileKind::pnpm, "javascript_pnpmlock/exotic.yaml");
  expect(exotic, "npm", {{"foo", "1.0.0", T, 10}, {"@foo/bar", "1.0.0", T, 11}, {"foo", "1.1.0", T, 12},
                         {"@foo/bar", "1.1.0", T, 13}, {"foo", "1.2.0", T, 15}, {"foo", "1.3.0", T, 16},
                         {"foo", "1.4.0", T, 17}});
  CHECK(exotic.warnings.size() == 2);  // github.com/kevva/is-positive and /foo/bar: no version
}

TEST_CASE("bun.lock", "[lockfiles][shared-data]") {
  REQUIRE_SHARED_DATA();
  expect(parse(LockfileKind::bun, "javascript_bunlock/nested-dependencies.json5"), "npm",
         {{"ansi-styles", "4.3.0", T, 16}, {"chalk", "4.1.2", D, 18}, {"color-convert", "2.0.1", T, 20},
          {"color-name", "1.1.4", T, 22}, {"has-flag", "2.0.0", D, 24}, {"supports-color", "5.5.0", D, 26},
          {"supports-color", "7.2.0", T, 28}, {"has-flag", "3.0.0", T, 30}, {"has-flag", "4.0.0", T, 32}});
}

TEST_CASE("requirements.txt", "[lockfiles][shared-data]") {
  REQUIRE_SHARED_DATA();
  auto versions = parse(LockfileKind::requirements, "python_requirements/with_versions.txt");
  // Unpinned requirements are listed without a version (their specifiers are the requirement).
  expect(versions, "PyPI", {{"nltk", "3.2.2", U, 1}, {"tabulate", "0.7.7", U, 2}, {"newspaper3k", "", U, 3},
                            {"asdf", "", U, 4}, {"qwerty", "0.1", U, 5}, {"hy-phen", "1.2", U, 7},
                            {"under-score", "1.3", U, 8}, {"pkg-dot-name", "5.0.0", U, 9},
                            {"combination-also-valid", "", U, 10}, {"yolo", "1.0", U, 11}, {"pkg", "", U, 12}});
  CHECK(versions.packages[2].requirement == ">=0.2.2");
  CHECK(versions.packages[3].requirement == "==0.7.*");
  REQUIRE(versions.warnings.size() == 1);  // newspaper3k, asdf (wildcard), combination..., pkg
  CHECK(versions.warnings[0].find("4 requirement(s) not pinned") != std::string::npos);
  // -r other-requirements.txt is read relative to the file; -c constraints are not packages.
  // (The unpinned, URL and path requirements around them: lockfiles_inventory_test.)
  auto example = parse(LockfileKind::requirements, "python_requirements/example.txt");
  REQUIRE(example.packages.size() == 12);
  ParsedLockfile pinned = example;
  pinned.packages.clear();
  for (const Package& p : example.packages) {
    if (matchable(p)) pinned.packages.push_back(p);
  }
  expect(pinned, "PyPI", {{"docopt", "0.6.1", U, 8}, {"pandas", "2.2.3", U, 1}});
  CHECK(pinned.packages[0].declared_in.empty());
  CHECK(pinned.packages[1].declared_in ==
        fixture("python_requirements/other-requirements.txt").lexically_normal().generic_string());
  expect(parse(LockfileKind::requirements, "python_requirements/per_req_options.txt"), "PyPI",
         {{"foo1", "1.0", U, 1}, {"foo2", "1.0", U, 3}, {"foo3", "1.0", U, 5}, {"foo4", "1.0", U, 7},
          {"foo5", "1.0", U, 9}, {"foo6", "1.0", U, 11}, {"foo8", "1.0", U, 15}, {"foo9", "1.0", U, 17},
          {"foo11", "1.0", U, 22}, {"foo12", "1.0", U, 24}, {"foo13", "1.0", U, 26}, {"foo14", "1.0", U, 28},
          {"foo16-client", "1.0", U, 32}, {"foo17-hash", "1.0", U, 34}, {"foo18-client", "1.0", U, 36}});
  auto invalid = parse(LockfileKind::requirements, "python_requirements/invalid.txt");
  // "urllib3 @ https://.../==1.26.8.zip" is a valid requirement: urllib3 from that URL.
  REQUIRE(invalid.packages.size() == 1);
  CHECK(invalid.packages[0].name == "urllib3");
  CHECK(invalid.packages[0].source_kind == "url");
  REQUIRE(invalid.warnings.size() == 3);
  CHECK(invalid.warnings[0] == fixture("python_requirements/invalid.txt").string() +
                                   ":1: 'asdf==': missing version after '=='");
}

TEST_CASE("poetry.lock, Pipfile.lock and uv.lock", "[lockfiles][shared-data]") {
  REQUIRE_SHARED_DATA();
  // Multi-line strings and sub-tables do not leak names into packages.
  expect(parse(LockfileKind::poetry, "python_poetrylock/names-outside-package-block.lock"), "PyPI",
         {{"first-pkg", "1.0.0", U, 5}, {"second-pkg", "2.0.0", U, 18}});
  expect(parse(LockfileKind::poetry, "python_poetrylock/source-git.lock"), "PyPI", {{"ike", "0.2.0", U, 2}});
  expect(parse(LockfileKind::pipfile, "python_pipfilelock/multiple-packages.json"), "PyPI",
         {{"itsdangerous", "2.1.2", U, 19}, {"pluggy", "1.0.1", U, 27}, {"markupsafe", "2.1.1", U, 32},
          {"pluggy", "1.0.0", U, 88}});
  auto uv = parse(LockfileKind::uv, "python_uvlock/grouped-packages.lock");
  CHECK(uv.format == "uv.lock v1");
  expect(uv, "PyPI", {{"black", "24.10.0", D, 5}, {"click", "8.1.7", D, 39}, {"colorama", "0.4.6", T, 51},
                      {"emoji", "2.14.0", D, 60}, {"flake8", "7.1.1", D, 69}, {"mccabe", "0.7.0", T, 83},
                      {"mypy-extensions", "1.0.0", T, 92}, {"packaging", "24.2", T, 101},
                      {"pathspec", "0.12.1", T, 110}, {"platformdirs", "4.3.6", T, 119},
                      {"pycodestyle", "2.12.1", T, 128}, {"pyflakes", "3.2.0", T, 137}, {"tomli", "2.2.1", T, 146},
                      {"typing-extensions", "4.12.2", T, 185}});
}

TEST_CASE("go.mod", "[lockfiles][shared-data]") {
  REQUIRE_SHARED_DATA();
  expect(parse(LockfileKind::gomod, "golang_gomod/indirect-packages.mod"), "Go",
         {{"github.com/BurntSushi/toml", "v1.0.0", D, 6},
          {"gopkg.in/yaml.v2", "v2.4.0", D, 7},
          {"github.com/mattn/go-colorable", "v0.1.9", T, 11},
          {"github.com/mattn/go-isatty", "v0.0.14", T, 12},
          {"golang.org/x/sys", "v0.0.0-20210630005230-0f9fa26af87c", T, 13}});
  // replace applies to the version it names; a local replacement is the module's "path" source.
  expect(parse(LockfileKind::gomod, "golang_gomod/replace-mixed.mod"), "Go",
         {{"example.com/fork/net", "v1.4.5", D, 2}, {"golang.org/x/net", "v0.5.6", D, 3}});
  expect(parse(LockfileKind::gomod, "golang_gomod/replace-local.mod"), "Go",
         {{"golang.org/x/net", "", D, 2}, {"github.com/BurntSushi/toml", "v1.0.0", D, 3}});
  expect(parse(LockfileKind::gomod, "golang_gomod/toolchain-with-suffix.mod"), "Go",
         {{"stdlib", "1.23.6", D, 5}, {"github.com/BurntSushi/toml", "v1.0.0", D, 8}});
}

TEST_CASE("Cargo.lock and Gemfile.lock", "[lockfiles][shared-data]") {
  REQUIRE_SHARED_DATA();
  expect(parse(LockfileKind::cargo, "rust_cargolock/package-with-comments.lock"), "crates.io",
         {{"addr2line", "0.15.2", U, 6}, {"syn", "1.0.73", U, 13}});
  // A crate without source is the workspace's own (listed, a "path" package), and direct/transitive
  // becomes known.
  expect(parse(LockfileKind::cargo, "rust_cargolock/two-packages-with-local.lock"), "crates.io",
         {{"addr2line", "0.15.2", T, 6}, {"local-rust-pkg", "0.1.0", T, 15}});
  expect(parse(LockfileKind::gemfile, "ruby_gemfilelock/has-git-gem.lock"), "RubyGems",
         {{"hanami-controller", "2.0.0.alpha1", T, 6}, {"hanami-utils", "2.0.0.alpha1", D, 15},
          {"concurrent-ruby", "1.1.7", T, 22}, {"rack", "2.2.3", T, 23}, {"transproc", "1.1.1", T, 24}});
}

TEST_CASE("composer.lock, pom.xml, gradle.lockfile, packages.lock.json", "[lockfiles][shared-data]") {
  REQUIRE_SHARED_DATA();
  expect(parse(LockfileKind::composer, "php_composerlock/two-packages.json"), "Packagist",
         {{"sentry/sdk", "2.0.4", U, 9}, {"theseer/tokenizer", "1.1.3", U, 42}});
  // The file alone (a scan also reads its parent POM: lockfiles_inventory_test.cpp).
  const std::string with_parent = fixture("java_pomxml/with-parent.xml").string();
  std::ifstream pom_in(with_parent, std::ios::binary);
  std::ostringstream pom_text;
  pom_text << pom_in.rdbuf();
  auto pom = detail::parse_maven(with_parent, pom_text.str());
  // ${bob.version} from <properties>, chuck's version from <dependencyManagement>; frank's is in no
  // POM we read (the parent is not read here): listed without a version, one warning.
  expect(pom, "Maven", {{"org.alice:alice", "1.0.0", D, 18}, {"org.bob:bob", "2.0.0", D, 23},
                        {"org.chuck:chuck", "3.0.0", D, 28}, {"org.frank:frank", "", D, 32}});
  REQUIRE(pom.warnings.size() == 1);
  CHECK(pom.warnings[0].find("org.frank:frank") != std::string::npos);
  expect(parse(LockfileKind::maven, "java_pomxml/plugin-dependency.xml"), "Maven",
         {{"com.example:hijack-lib", "1.0.0", D, 27}});
  auto gradle = parse(LockfileKind::gradle, "java_gradlelockfile/with-bad-pkg");
  expect(gradle, "Maven", {{"org.springframework.boot:spring-boot-autoconfigure", "2.7.4", U, 7},
                           {"org.springframework.boot:spring-boot-configuration-processor", "2.7.5", U, 14}});
  CHECK(gradle.warnings.size() == 4);
  expect(parse(LockfileKind::nuget, "dotnet_packageslockjson/valid/packages.lock.json"), "NuGet",
         {{"Core.Dep", "1.24.0", D, 5}, {"Some.Dep.One", "1.1.1", T, 20}, {"Some.Dep.Two", "4.6.0", T, 25},
          {"Some.Dep.Three", "1.0.2", T, 30}, {"Some.Dep.Four", "4.5.0", T, 39},
          {"Some.Longer.Name.Dep", "4.7.2", T, 44}, {"Some.Dep.Five", "4.7.2", T, 49},
          {"Another.Longer.Name.Dep", "4.5.4", T, 54}});
}
