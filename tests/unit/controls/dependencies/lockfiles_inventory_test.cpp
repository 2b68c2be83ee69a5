// The whole inventory of the shared fixtures (../shared/data/lockfiles/, osv-scalibr's test data):
// git, file, link, workspace and URL packages with their source, unpinned requirements without a
// version, go.sum modules of a go.mod before go 1.17, parent POMs of the repository. Where we
// differ from what osv-scalibr's own tests expect, docs/dependency-inventory.md says why.
#include <catch2/catch_test_macros.hpp>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "agent/controls/dependencies/lockfiles.h"
#include "agent/controls/dependencies/parsers.h"

namespace fs = std::filesystem;
using namespace agent::controls::dependencies;

namespace {

fs::path fixture(const std::string& rel) { return fs::path(JIT_SHARED_DATA_DIR) / "lockfiles" / rel; }

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

ParsedLockfile parse(LockfileKind kind, const std::string& rel) {
  return parse_lockfile_as(kind, fixture(rel).string(), slurp(fixture(rel)));
}

// Includes (go.sum, parent POMs) read from the fixtures folder, as a scan reads them from the root.
ParseOptions from_disk() {
  ParseOptions options;
  options.read_include = [](const std::string& path) { return read_include_file(path); };
  return options;
}

// name, version, source_kind, source, requirement
struct Item {
  std::string name, version, kind, source, requirement;
};

void expect(const ParsedLockfile& got, const std::vector<Item>& want) {
  INFO(got.path);
  std::ostringstream listing;
  for (const Package& p : got.packages)
    listing << p.name << " " << p.version << " [" << p.source_kind << " " << p.source << "] " << p.requirement << "\n";
  INFO(listing.str());
  REQUIRE(got.packages.size() == want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    const Package& p = got.packages[i];
    INFO(i);
    CHECK(p.name == want[i].name);
    CHECK(p.version == want[i].version);
    CHECK(p.source_kind == want[i].kind);
    CHECK(p.source == want[i].source);
    CHECK(p.requirement == want[i].requirement);
    CHECK(matchable(p) == (want[i].kind.empty() && !want[i].version.empty()));
  }
}

#define REQUIRE_SHARED_DATA()                                                               \
  if (!fs::is_directory(fixture(""))) SKIP("shared lockfile fixtures absent: " + fixture("").string())

}  // namespace

TEST_CASE("inventory: requirements.txt lists unpinned, URL and path requirements", "[lockfiles][shared-data]") {
  REQUIRE_SHARED_DATA();
  expect(parse(LockfileKind::requirements, "python_requirements/no_version.txt"),
         {{"pycrypto", "", "", "", ""}, {"gmpy2", "", "", "", ""}, {"sympy", "", "", "", ""}});
  auto example = parse(LockfileKind::requirements, "python_requirements/example.txt");
  expect(example,
         {{"pytest", "", "", "", ""},
          {"pytest-cov", "", "", "", ""},
          {"beautifulsoup4", "", "", "", ""},
          {"docopt", "0.6.1", "", "", ""},
          {"requests", "", "", "", ">= 2.8.1, == 2.8.*"},
          {"urllib3", "", "url", "https://github.com/urllib3/urllib3/archive/refs/tags/1.26.8.zip", ""},
          {"keyring", "", "", "", ">= 4.1.1"},
          {"coverage", "", "", "", "!= 3.5"},
          {"mopidy-dirble", "", "", "", "~= 1.1"},
          {"pandas", "2.2.3", "", "", ""},
          {"numpy", "1.9.2", "path", "./downloads/numpy-1.9.2-cp34-none-win32.whl", ""},
          {"wxpython-phoenix", "3.0.3.dev1820+49a8884", "url",
           "http://wxpython.org/Phoenix/snapshot-builds/wxPython_Phoenix-3.0.3.dev1820+49a8884-cp34-none-win_amd64.whl",
           ""}});
}

TEST_CASE("inventory: requirements.txt editable and git requirements", "[lockfiles]") {
  auto parsed = parse_lockfile_as(LockfileKind::requirements, "requirements.txt",
                                  "-e git+https://github.com/a/b.git@v1.2#egg=bee\n"
                                  "-e ./libs/local\n"
                                  "pkg @ git+https://github.com/c/d@0123abcd\n"
                                  "ranged>=1,<2\n");
  expect(parsed, {{"bee", "", "git", "git+https://github.com/a/b.git#v1.2", ""},
                  {"local", "", "path", "./libs/local", ""},
                  {"pkg", "", "git", "git+https://github.com/c/d#0123abcd", ""},
                  {"ranged", "", "", "", ">=1,<2"}});
}

TEST_CASE("inventory: npm git, file and link packages", "[lockfiles][shared-data]") {
  REQUIRE_SHARED_DATA();
  auto v2 = parse(LockfileKind::npm, "javascript_packagelockjson/commits.v2.json");
  REQUIRE(v2.packages.size() >= 2);
  CHECK(v2.packages[0].name == "@segment/analytics.js-integration-facebook-pixel");
  CHECK(v2.packages[0].version == "2.4.1");
  CHECK(v2.packages[0].source_kind == "git");
  CHECK(v2.packages[0].source ==
        "git+ssh://git@github.com/segmentio/analytics.js-integrations.git#3b1bb80b302c2e552685dc8a029797ec832ea7c9");
  CHECK(v2.packages[1].name == "ansi-styles");
  CHECK(matchable(v2.packages[1]));
  // A link to a workspace folder, with the folder's version.
  expect(parse(LockfileKind::npm, "javascript_packagelockjson/files.v2.json"),
         {{"etag", "1.8.0", "path", "deps/etag", ""}, {"abbrev", "1.0.9", "", "", ""}, {"abbrev", "2.3.4", "", "", ""}});
  auto v1 = parse(LockfileKind::npm, "javascript_packagelockjson/files.v1.json");
  bool other = false;
  for (const Package& p : v1.packages) {
    if (p.name != "other_package") continue;
    other = true;
    CHECK(p.source_kind == "path");
    CHECK(p.source == "deps/other_package");
  }
  CHECK(other);
}

TEST_CASE("inventory: yarn, pnpm and bun git, file and tarball packages", "[lockfiles][shared-data]") {
  REQUIRE_SHARED_DATA();
  auto files = parse(LockfileKind::yarn, "javascript_yarnlock/files.v1.lock");
  expect(files, {{"etag", "1.8.1", "", "", ""},
                 {"filedep", "1.2.0", "path", "../../correct/path/filedep", ""},
                 {"lodash", "1.3.1", "", "", ""},
                 {"other_package", "0.0.2", "path", "./deps/other_package", ""},
                 {"sprintf-js", "0.0.0", "path", "./mocks/sprintf-js", ""},
                 {"etag", "1.8.0", "path", "./deps/etag", ""}});
  auto commits = parse(LockfileKind::yarn, "javascript_yarnlock/commits.v1.lock");
  for (const Package& p : commits.packages) {
    INFO(p.name << " " << p.source);
    if (p.name == "mine2") {
      CHECK(p.source_kind == "git");
      CHECK(p.source == "https://github.com/G-Rath/npm-git-repo-2.git#0a2d2506c1fe299691fc5db53a2097db3bd615bc");
    }
  }
  auto berry = parse(LockfileKind::yarn, "javascript_yarnlock/commits.v2.lock");
  REQUIRE_FALSE(berry.packages.empty());
  CHECK(berry.packages[0].source ==
        "https://github.com/my-org/my-first-package.git#0b824c650d3a03444dbcf2b27a5f3566f6e41358");
  // A workspace member is listed, the project itself ("workspace:.") is not.
  auto ws = parse(LockfileKind::yarn, "javascript_yarnlock/exclude-root.v2.lock");
  REQUIRE(ws.packages.size() == 2);
  CHECK(ws.packages[0].name == "@ws/ansi-regex");
  CHECK(ws.packages[0].source_kind == "path");
  CHECK(ws.packages[0].source == "ansi-regex");
  CHECK(ws.packages[0].version.empty());  // 0.0.0-use.local is no version
  auto pnpm = parse(LockfileKind::pnpm, "javascript_pnpmlock/commits.v9.yaml");
  expect(pnpm, {{"ansi-regex", "6.0.1", "git",
                 "https://github.com/chalk/ansi-regex.git#02fa893d619d3da85411acc8fd4e2eea0e95a9d9", ""},
                {"is-number", "7.0.0", "git",
                 "https://github.com/jonschlinkert/is-number.git#98e8ff1da1a89f93d1397a24d7413ed15421c139", ""}});
  auto pnpm_files = parse(LockfileKind::pnpm, "javascript_pnpmlock/files.yaml");
  REQUIRE(pnpm_files.packages.size() == 6);
  CHECK(pnpm_files.packages[0].name == "my-file-package");
  CHECK(pnpm_files.packages[0].source == "projects/package-a.tgz");
  CHECK(pnpm_files.packages[5].name == "nameless-package");
  // A private registry's tarball URL is a registry.
  CHECK(matchable(parse(LockfileKind::pnpm, "javascript_pnpmlock/tarball.yaml").packages.at(0)));
  auto bun = parse(LockfileKind::bun, "javascript_bunlock/files.json5");
  REQUIRE(bun.packages.size() == 2);
  CHECK(bun.packages[0].name == "etag");
  CHECK(bun.packages[0].source_kind == "path");
  CHECK(bun.packages[0].source == "deps/etag");
  // (parse_bun itself: parse_lockfile_as merges packages of the same name and version, which
  // three commits of is-number without a version are not; see docs/dependency-inventory.md.)
  std::string bun_commits = fixture("javascript_bunlock/commits.json5").string();
  auto bun_git = detail::parse_bun(bun_commits, slurp(bun_commits));
  std::size_t git = 0;
  for (const Package& p : bun_git.packages) git += p.source_kind == "git";
  CHECK(git == 7);
}

TEST_CASE("inventory: poetry, uv and Pipfile.lock git sources", "[lockfiles][shared-data]") {
  REQUIRE_SHARED_DATA();
  expect(parse(LockfileKind::poetry, "python_poetrylock/source-git.lock"),
         {{"ike", "0.2.0", "git", "https://github.com/dzshn/ike#cd66602cd29f61a2d2e7fb995fef1e61708c034d", ""}});
  expect(parse(LockfileKind::uv, "python_uvlock/source-git.lock"),
         {{"ruff", "0.8.1", "git", "https://github.com/astral-sh/ruff#84748be16341b76e073d117329f7f5f4ee2941ad", ""}});
  expect(parse(LockfileKind::pipfile, "python_pipfilelock/no-version.json"),
         {{"markupsafe", "", "git", "https://github.com/pallets/markupsafe#b36054111bc1e8bbadb5d0d60158feb72926f467", ""},
          {"itsdangerous", "", "git",
           "https://github.com/pallets/itsdangerous#de09cad488a4d7c7bbcbcdb8e1c2dfde64325f48", ""}});
}

TEST_CASE("inventory: go.mod before 1.17 adds go.sum's modules; local replacements", "[lockfiles][shared-data]") {
  REQUIRE_SHARED_DATA();
  std::string mod = fixture("golang_gomod/indirect-1.16.mod").string();
  auto parsed = detail::parse_gomod(mod, slurp(mod), from_disk());
  expect(parsed, {{"github.com/sirupsen/logrus", "v1.9.3", "", "", ""},
                  {"github.com/davecgh/go-spew", "v1.1.1", "", "", ""},
                  {"github.com/pmezard/go-difflib", "v1.0.0", "", "", ""},
                  {"github.com/stretchr/testify", "v1.7.0", "", "", ""},
                  {"golang.org/x/sys", "v0.0.0-20220715151400-c0bba94af5f8", "", "", ""},
                  {"gopkg.in/yaml.v3", "v3.0.0-20200313102051-9f266ea9e77c", "", "", ""}});
  CHECK(parsed.packages[1].declared_in == fixture("golang_gomod/indirect-1.16.sum").string());
  CHECK(parsed.packages[1].line == 2);
  CHECK_FALSE(parsed.packages[1].direct);
  // From 1.17 the go.mod lists every module: its go.sum adds nothing.
  std::string mod23 = fixture("golang_gomod/indirect-1.23.mod").string();
  CHECK(detail::parse_gomod(mod23, slurp(mod23), from_disk()).packages.size() == 2);
  // Without options nothing beside the file is read; a scan (parse_lockfile_as) reads go.sum.
  CHECK(detail::parse_gomod(mod, slurp(mod)).packages.size() == 1);
  CHECK(parse(LockfileKind::gomod, "golang_gomod/indirect-1.16.mod").packages.size() == 6);
  expect(parse(LockfileKind::gomod, "golang_gomod/replace-local.mod"),
         {{"golang.org/x/net", "", "path", "./fork/net", ""}, {"github.com/BurntSushi/toml", "v1.0.0", "", "", ""}});
}

TEST_CASE("inventory: go.sum keeps one version per module, the highest", "[lockfiles]") {
  ParseOptions options;
  options.read_include = [](const std::string& path) -> std::optional<std::string> {
    if (path != "svc/go.sum") return std::nullopt;
    return "example.com/a v1.2.0 h1:x=\nexample.com/a v1.10.0 h1:y=\nexample.com/a v1.10.0/go.mod h1:z=\n"
           "example.com/only-mod v0.1.0/go.mod h1:w=\n";
  };
  auto parsed = detail::parse_gomod("svc/go.mod", "module m\n\ngo 1.14\n", options);
  REQUIRE(parsed.packages.size() == 1);
  CHECK(parsed.packages[0].name == "example.com/a");
  CHECK(parsed.packages[0].version == "v1.10.0");
  CHECK(parsed.packages[0].line == 2);
}

TEST_CASE("inventory: a go directive with a huge version is not before 1.17, without overflow (fuzz regression)",
          "[lockfiles]") {
  ParseOptions options;
  options.read_include = [](const std::string&) -> std::optional<std::string> {
    return "example.com/a v1.2.0 h1:x=\n";
  };
  auto parsed = detail::parse_gomod("go.mod", "module m\n\ngo 12222222222222223.6\n", options);
  CHECK(parsed.packages.empty());  // go.sum not read: not a pre-1.17 module
}

TEST_CASE("inventory: Gemfile.lock GIT and PATH gems, Cargo.lock local crates", "[lockfiles][shared-data]") {
  REQUIRE_SHARED_DATA();
  auto git = parse(LockfileKind::gemfile, "ruby_gemfilelock/has-git-gem.lock");
  REQUIRE(git.packages.size() == 5);
  CHECK(git.packages[0].source_kind == "git");
  CHECK(git.packages[0].source.find("#") != std::string::npos);
  CHECK(matchable(git.packages[2]));
  auto local = parse(LockfileKind::gemfile, "ruby_gemfilelock/has-local-gem.lock");
  REQUIRE_FALSE(local.packages.empty());
  CHECK(local.packages[0].name == "backbone-on-rails");
  CHECK(local.packages[0].source_kind == "path");
  CHECK(local.packages[0].source == "vendor/gem/backbone-on-rails");
  expect(parse(LockfileKind::cargo, "rust_cargolock/two-packages-with-local.lock"),
         {{"addr2line", "0.15.2", "", "", ""}, {"local-rust-pkg", "0.1.0", "path", "", ""}});
}

TEST_CASE("inventory: pom.xml with its parent POM from the repository", "[lockfiles][shared-data]") {
  REQUIRE_SHARED_DATA();
  std::string pom = fixture("java_pomxml/with-parent.xml").string();
  auto parsed = detail::parse_maven(pom, slurp(pom), from_disk());
  expect(parsed, {{"org.alice:alice", "1.0.0", "", "", ""},
                  {"org.bob:bob", "2.0.0", "", "", ""},
                  {"org.chuck:chuck", "3.0.0", "", "", ""},
                  {"org.frank:frank", "", "", "", ""},
                  {"org.dave:dave", "4.0.0", "", "", ""}});
  CHECK(parsed.packages[4].declared_in == fixture("java_pomxml/parent/pom.xml").lexically_normal().string());
  CHECK(parsed.packages[4].line == 15);
  REQUIRE(parsed.warnings.size() == 1);  // frank: its version is in no POM of the repository
  CHECK(parsed.warnings[0].find("org.frank:frank") != std::string::npos);
}

TEST_CASE("inventory: parent POM properties, dependencyManagement, project.version; cycles", "[lockfiles]") {
  std::map<std::string, std::string> files = {
      {"parent/pom.xml",
       "<project><groupId>g</groupId><artifactId>parent</artifactId><version>7.1</version>"
       "<parent><groupId>g</groupId><artifactId>root</artifactId><version>1</version></parent>"
       "<properties><lib.version>2.5</lib.version><over>parent</over></properties>"
       "<dependencyManagement><dependencies>"
       "<dependency><groupId>m</groupId><artifactId>managed</artifactId><version>${lib.version}</version></dependency>"
       "</dependencies></dependencyManagement></project>"},
      {"pom.xml",  // the default ../pom.xml of parent/pom.xml: the grandparent
       "<project><groupId>g</groupId><artifactId>root</artifactId><version>1</version>"
       "<properties><root.prop>9.9</root.prop></properties></project>"},
  };
  ParseOptions options;
  options.read_include = [&files](const std::string& path) -> std::optional<std::string> {
    auto it = files.find(path);
    if (it == files.end()) return std::nullopt;
    return it->second;
  };
  std::string child =
      "<project><artifactId>child</artifactId>"
      "<parent><groupId>g</groupId><artifactId>parent</artifactId><version>7.1</version>"
      "<relativePath>../parent</relativePath></parent>"
      "<properties><over>child</over></properties><dependencies>"
      "<dependency><groupId>m</groupId><artifactId>managed</artifactId></dependency>"
      "<dependency><groupId>g</groupId><artifactId>sibling</artifactId><version>${project.version}</version></dependency>"
      "<dependency><groupId>g</groupId><artifactId>p</artifactId><version>${project.parent.version}</version></dependency>"
      "<dependency><groupId>r</groupId><artifactId>r</artifactId><version>${root.prop}</version></dependency>"
      "<dependency><groupId>o</groupId><artifactId>${over}</artifactId><version>1</version></dependency>"
      "<dependency><groupId>x</groupId><artifactId>ranged</artifactId><version>[1.0,2.0)</version></dependency>"
      "</dependencies></project>";
  auto parsed = detail::parse_maven("child/pom.xml", child, options);
  expect(parsed, {{"m:managed", "2.5", "", "", ""},
                  {"g:sibling", "7.1", "", "", ""},
                  {"g:p", "7.1", "", "", ""},
                  {"r:r", "9.9", "", "", ""},
                  {"o:child", "1", "", "", ""},
                  {"x:ranged", "", "", "", "[1.0,2.0)"}});
  // A parent naming its child: the cycle is refused with a warning.
  files["child/pom.xml"] = child;
  files["parent/pom.xml"] =
      "<project><groupId>g</groupId><artifactId>parent</artifactId><version>7.1</version>"
      "<parent><groupId>g</groupId><artifactId>child</artifactId><version>7.1</version>"
      "<relativePath>../child/pom.xml</relativePath></parent></project>";
  auto cyclic = detail::parse_maven("child/pom.xml", child, options);
  bool cycle = false;
  for (const std::string& w : cyclic.warnings) cycle = cycle || w.find("cycle") != std::string::npos;
  CHECK(cycle);
}

TEST_CASE("dump of every shared fixture (run explicitly: [.dump])", "[.dump]") {
  // Prints what every shared fixture yields, to compare with osv-scalibr's tests by eye.
  REQUIRE_SHARED_DATA();
  for (const auto& entry : fs::recursive_directory_iterator(fixture(""))) {
    if (!entry.is_regular_file()) continue;
    std::string path = entry.path().string();
    try {
      auto kind = lockfile_kind(entry.path().filename().string());
      std::string dir = entry.path().parent_path().filename().string();
      std::string top = entry.path().lexically_relative(fixture("")).begin()->string();
      static const std::map<std::string, LockfileKind> kByDir = {
          {"golang_gomod", LockfileKind::gomod}, {"java_pomxml", LockfileKind::maven},
          {"javascript_bunlock", LockfileKind::bun}, {"javascript_packagelockjson", LockfileKind::npm},
          {"javascript_pnpmlock", LockfileKind::pnpm}, {"javascript_yarnlock", LockfileKind::yarn},
          {"php_composerlock", LockfileKind::composer}, {"python_pipfilelock", LockfileKind::pipfile},
          {"python_poetrylock", LockfileKind::poetry}, {"python_requirements", LockfileKind::requirements},
          {"python_uvlock", LockfileKind::uv}, {"ruby_gemfilelock", LockfileKind::gemfile},
          {"rust_cargolock", LockfileKind::cargo}, {"java_gradlelockfile", LockfileKind::gradle},
          {"dotnet_packageslockjson", LockfileKind::nuget}};
      auto it = kByDir.find(top);
      if (it != kByDir.end()) kind = it->second;
      if (!kind) continue;
      ParsedLockfile parsed = *kind == LockfileKind::gomod   ? detail::parse_gomod(path, slurp(entry.path()), from_disk())
                              : *kind == LockfileKind::maven ? detail::parse_maven(path, slurp(entry.path()), from_disk())
                                                             : parse_lockfile_as(*kind, path, slurp(entry.path()), from_disk());
      std::cout << "== " << entry.path().lexically_relative(fixture("")).string() << "\n";
      for (const Package& p : parsed.packages)
        std::cout << "  " << p.name << " " << p.version << (p.source_kind.empty() ? "" : " [" + p.source_kind + " " + p.source + "]")
                  << (p.requirement.empty() ? "" : " req=" + p.requirement) << "\n";
    } catch (const std::exception& e) {
      std::cout << "== " << path << ": " << e.what() << "\n";
    }
  }
}
