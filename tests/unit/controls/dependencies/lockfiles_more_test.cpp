// The newer lockfile formats (issue 11, "More lockfiles"): one realistic fixture per format as its
// tool writes it (tests/data/lockfiles/more/), one malformed file per format whose error names the
// file and line, and every format cut short at every length and fed noise without anything but
// packages or a UsageError coming out.
#include <catch2/catch_test_macros.hpp>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "agent/controls/dependencies/lockfiles.h"
#include "agent/util/error.h"

namespace fs = std::filesystem;
using namespace agent::controls::dependencies;

namespace {

fs::path data(const std::string& rel) { return fs::path(JIT_TEST_DATA_DIR) / "lockfiles" / "more" / rel; }

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  REQUIRE(in.good());
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

ParsedLockfile parse_fixture(const std::string& rel) {
  fs::path p = data(rel);
  return parse_lockfile(p.string(), slurp(p));
}

// "name@version:line" plus "+" for direct, "-" for transitive, "?" when the format does not say.
std::vector<std::string> summary(const ParsedLockfile& parsed, const std::string& ecosystem) {
  std::vector<std::string> out;
  for (const Package& p : parsed.packages) {
    CHECK(p.ecosystem == ecosystem);
    out.push_back(p.name + "@" + p.version + ":" + std::to_string(p.line) +
                  (p.direct_known ? (p.direct ? "+" : "-") : "?"));
  }
  return out;
}

bool has_warning(const ParsedLockfile& parsed, const std::string& needle) {
  for (const std::string& w : parsed.warnings) {
    if (w.find(needle) != std::string::npos) return true;
  }
  return false;
}

// The error of a malformed fixture; it must start with "path:line:".
std::string error_of(const std::string& rel) {
  fs::path p = data(rel);
  try {
    parse_lockfile(p.string(), slurp(p));
  } catch (const agent::util::UsageError& e) {
    return e.what();
  }
  return "no error";
}

void check_error(const std::string& rel, int line, const std::string& needle) {
  std::string error = error_of("malformed/" + rel);
  INFO(error);
  std::string where = data("malformed/" + rel).string() + ":" + std::to_string(line) + ":";
  CHECK(error.rfind(where, 0) == 0);
  CHECK(error.find(needle) != std::string::npos);
}

}  // namespace

TEST_CASE("new lockfile names are recognised") {
  CHECK(lockfile_kind("app/pubspec.lock") == LockfileKind::pub);
  CHECK(lockfile_kind("mix.lock") == LockfileKind::mix);
  CHECK(lockfile_kind("conan.lock") == LockfileKind::conan);
  CHECK(lockfile_kind("pdm.lock") == LockfileKind::pdm);
  CHECK(lockfile_kind("pylock.toml") == LockfileKind::pylock);
  CHECK(lockfile_kind("pylock.dev.toml") == LockfileKind::pylock);
  CHECK_FALSE(lockfile_kind("pylock.toml.bak").has_value());
  CHECK(lockfile_kind("Foo.xcodeproj/project.xcworkspace/xcshareddata/swiftpm/Package.resolved") ==
        LockfileKind::swift);
  CHECK(lockfile_kind("packages.config") == LockfileKind::nuget_config);
  CHECK(lockfile_kind("bin/Release/net8.0/WebApi.deps.json") == LockfileKind::deps_json);
  CHECK_FALSE(lockfile_kind(".deps.json").has_value());
  CHECK(lockfile_kind("Podfile.lock") == LockfileKind::cocoapods);
  CHECK(lockfile_kind("renv.lock") == LockfileKind::renv);
  CHECK(lockfile_kind("gradle/verification-metadata.xml") == LockfileKind::gradle_verification);
  CHECK(lockfile_kind("gems.locked") == LockfileKind::gemfile);
  CHECK(lockfile_kind("buildscript-gradle.lockfile") == LockfileKind::gradle);
}

TEST_CASE("pubspec.lock: hosted, git and path packages, direct main/dev vs transitive; sdk left out") {
  ParsedLockfile parsed = parse_fixture("pub/pubspec.lock");
  CHECK(parsed.format == "pubspec.lock");
  CHECK(summary(parsed, "Pub") == std::vector<std::string>{"async@2.11.0:4-", "flutter_lints@3.0.2:17+",
                                                           "http@1.2.1:25+", "local_utils@0.1.0:33+",
                                                           "markdown_widget@2.3.2+6:40+", "path@1.9.0:49-"});
  // A path package: in the inventory with its folder, never matched.
  CHECK(parsed.packages[3].source_kind == "path");
  CHECK(parsed.packages[3].source == "../local_utils");
  CHECK_FALSE(matchable(parsed.packages[3]));
  CHECK(parsed.warnings.empty());
}

TEST_CASE("pubspec.lock: malformed") { check_error("pubspec.lock", 7, "package 'http' must be a map"); }

TEST_CASE("mix.lock: hex packages by package name; git and other repositories reported") {
  ParsedLockfile parsed = parse_fixture("mix/mix.lock");
  CHECK(parsed.format == "mix.lock");
  CHECK(summary(parsed, "Hex") == std::vector<std::string>{"castore@1.0.7:2?", "cowboy@2.10.0:3?",
                                                           "cowlib@2.12.1:4?", "heroicons@:5?",
                                                           "jason@1.4.1:6?", "phoenix@1.7.12:7?",
                                                           "ranch@1.8.0:9?", "telemetry_poller@1.1.0:10?"});
  // A git dependency: in the inventory with its commit, not matched against advisories.
  const Package& git = parsed.packages[3];
  CHECK(git.source_kind == "git");
  CHECK(git.source == "https://github.com/tailwindlabs/heroicons.git#88ab3a0d790e6a47404cba02800a6b25d2afae50");
  CHECK_FALSE(matchable(git));
  CHECK(has_warning(parsed, ":8: dependency 'private_lib' comes from Hex repository 'hexpm:acme'"));
}

TEST_CASE("mix.lock: Elixir term syntax variants") {
  ParsedLockfile parsed = parse_lockfile_as(
      LockfileKind::mix, "mix.lock",
      "%{\"a\" => {:hex, :\"pkg-a\", \"0.1.0\"}, # old lock, a comment\n"
      "  \"b\": {:hex, :b, \"2.0.0\", \"x\", [:mix], [{:c, \"~> 1.0\", [hex: :c, optional: true]}]},\n}\n");
  CHECK(summary(parsed, "Hex") == std::vector<std::string>{"pkg-a@0.1.0:1?", "b@2.0.0:2?"});
}

TEST_CASE("mix.lock: malformed") { check_error("mix.lock", 4, "expected ',' or '}'"); }

TEST_CASE("mix.lock: nesting is bounded") {
  std::string deep = "%{\"a\": " + std::string(100000, '[') + "}";
  CHECK_THROWS_AS(parse_lockfile_as(LockfileKind::mix, "mix.lock", deep), agent::util::UsageError);
}

TEST_CASE("conan.lock v0.4: graph nodes, the consumer's requires are direct") {
  ParsedLockfile parsed = parse_fixture("conan-v04/conan.lock");
  CHECK(parsed.format == "conan.lock v0.4");
  CHECK(summary(parsed, "ConanCenter") == std::vector<std::string>{"openssl@1.1.1q:16+", "zlib@1.2.12:26+",
                                                                   "cmake@3.24.0:33+", "libcurl@7.84.0:40-"});
}

TEST_CASE("conan.lock v0.5 (Conan 2): requires and build_requires with revisions") {
  ParsedLockfile parsed = parse_fixture("conan-v05/conan.lock");
  CHECK(parsed.format == "conan.lock v0.5");
  CHECK(summary(parsed, "ConanCenter") == std::vector<std::string>{"zlib@1.2.13:4?", "openssl@3.1.1:5?",
                                                                   "fmt@10.0.0:6?", "cmake@3.27.0:9?"});
}

TEST_CASE("conan.lock: malformed") { check_error("conan.lock", 5, "invalid JSON"); }

TEST_CASE("pdm.lock: registry and git packages; editable/path ones in the inventory only") {
  ParsedLockfile parsed = parse_fixture("pdm/pdm.lock");
  CHECK(parsed.format == "pdm.lock v4.5.0");
  CHECK(summary(parsed, "PyPI") == std::vector<std::string>{"certifi@2024.2.2:14?", "django@4.2.11:25?",
                                                            "my-shared-lib@0.1.0:39?", "requests@2.31.0:48?"});
  CHECK(parsed.packages[2].source_kind == "path");
  CHECK(parsed.packages[2].source == "./libs/shared");
  CHECK_FALSE(matchable(parsed.packages[2]));
}

TEST_CASE("pdm.lock: malformed") { check_error("pdm.lock", 9, "invalid TOML"); }

TEST_CASE("pylock.toml (PEP 751): index packages; VCS and local archives in the inventory only; the project left out") {
  ParsedLockfile parsed = parse_fixture("pylock/pylock.toml");
  CHECK(parsed.format == "pylock.toml v1.0");
  CHECK(summary(parsed, "PyPI") == std::vector<std::string>{"attrs@25.1.0:8?", "jinja2@3.1.5:15?", "pip@:25?",
                                                            "local-wheel@1.0.0:29?", "urllib3@2.3.0:34?"});
  CHECK(parsed.packages[2].source_kind == "git");
  CHECK(parsed.packages[2].source == "https://github.com/pypa/pip.git#e7b1b5a3f3a2dcf8b0d3a1f21c8e6a6d6f2a0e6c");
  CHECK(parsed.packages[3].source_kind == "path");
  CHECK(parsed.packages[3].source == "./dist/local_wheel-1.0.0-py3-none-any.whl");
  CHECK_FALSE(matchable(parsed.packages[3]));
  CHECK(parsed.warnings.empty());
}

TEST_CASE("pylock.toml: malformed") { check_error("pylock.toml", 4, "[[packages]] without a name"); }

TEST_CASE("Package.resolved v1: repositoryURL without scheme and .git; branch pins reported") {
  ParsedLockfile parsed = parse_fixture("swift-v1/Package.resolved");
  CHECK(parsed.format == "Package.resolved v1");
  CHECK(summary(parsed, "SwiftURL") == std::vector<std::string>{"github.com/apple/swift-log@1.4.2:4?",
                                                                "github.com/apple/swift-protobuf@1.18.0:13?",
                                                                "github.com/Quick/Nimble@:22?"});
  // A branch pin: in the inventory with its revision, not matched.
  CHECK(parsed.packages[2].source_kind == "git");
  CHECK(parsed.packages[2].source.ends_with("#c93f16c25af5770f0d3e6af27c9634640946b068"));
}

TEST_CASE("Package.resolved v2: remote pins; local checkouts left out") {
  ParsedLockfile parsed = parse_fixture("swift-v2/Package.resolved");
  CHECK(parsed.format == "Package.resolved v2");
  CHECK(summary(parsed, "SwiftURL") == std::vector<std::string>{"github.com/Alamofire/Alamofire@5.9.1:3?",
                                                                "github.com/apple/swift-nio@2.64.0:21?"});
  CHECK(parsed.warnings.empty());
}

TEST_CASE("Package.resolved v3: registry and branch pins reported, not checked") {
  ParsedLockfile parsed = parse_fixture("swift-v3/Package.resolved");
  CHECK(parsed.format == "Package.resolved v3");
  CHECK(summary(parsed, "SwiftURL") == std::vector<std::string>{"github.com/apple/swift-argument-parser@1.3.1:12?",
                                                                "github.com/swiftlang/swift-syntax@:21?"});
  CHECK(has_warning(parsed, ":4: pin 'mona.linkedlist' comes from a package registry"));
  CHECK(parsed.packages[1].source == "https://github.com/swiftlang/swift-syntax.git#2c271e5ba55a4d0c4a1bd5e7b5d2a3e0c1c3b8a4");
}

TEST_CASE("Package.resolved: scp-like and ssh URLs name the same package") {
  ParsedLockfile parsed = parse_lockfile_as(
      LockfileKind::swift, "Package.resolved",
      "{\"pins\": [{\"identity\": \"a\", \"kind\": \"remoteSourceControl\", \"location\": "
      "\"git@github.com:apple/swift-nio.git\", \"state\": {\"version\": \"2.0.0\"}},\n"
      "{\"identity\": \"b\", \"kind\": \"remoteSourceControl\", \"location\": "
      "\"ssh://git@gitlab.example.com/team/kit.git/\", \"state\": {\"version\": \"1.0.0\"}}], \"version\": 2}");
  CHECK(summary(parsed, "SwiftURL") ==
        std::vector<std::string>{"github.com/apple/swift-nio@2.0.0:1?", "gitlab.example.com/team/kit@1.0.0:2?"});
}

TEST_CASE("Package.resolved: malformed") { check_error("Package.resolved", 3, "'state'"); }

TEST_CASE("packages.config: every package, attributes across lines") {
  ParsedLockfile parsed = parse_fixture("nuget-config/packages.config");
  CHECK(parsed.format == "packages.config");
  CHECK(summary(parsed, "NuGet") == std::vector<std::string>{"Antlr@3.5.0.2:4?", "Microsoft.AspNet.Mvc@5.2.7:5?",
                                                             "Newtonsoft.Json@12.0.2:6?", "jQuery@3.4.1:8?"});
}

TEST_CASE("packages.config: malformed") { check_error("packages.config", 5, "packages"); }

TEST_CASE("deps.json: package libraries; the projects' dependencies are direct") {
  ParsedLockfile parsed = parse_fixture("deps-json/WebApi.deps.json");
  CHECK(parsed.format == "deps.json");
  // Shared is a project of the solution, so what Shared needs is direct too (of a project).
  CHECK(summary(parsed, "NuGet") ==
        std::vector<std::string>{"Newtonsoft.Json@13.0.1:47+", "System.Text.Encodings.Web@4.7.1:54+"});
}

TEST_CASE("deps.json: malformed") { check_error("Broken.deps.json", 10, "'type'"); }

TEST_CASE("Podfile.lock: pods with subspecs folded, DEPENDENCIES direct, :path pods left out") {
  ParsedLockfile parsed = parse_fixture("cocoapods/Podfile.lock");
  CHECK(parsed.format == "Podfile.lock");
  CHECK(summary(parsed, "CocoaPods") ==
        std::vector<std::string>{"Alamofire@5.6.4:2+", "Firebase@10.3.0:3+", "FirebaseAnalytics@10.3.0:7-",
                                 "GoogleUtilities@7.10.0:9-", "SnapKit@5.6.0:13+"});
}

TEST_CASE("Podfile.lock: malformed") { check_error("Podfile.lock", 3, "expected 'Name (version)'"); }

TEST_CASE("renv.lock: CRAN (and its mirrors) and Bioconductor; GitHub packages reported") {
  ParsedLockfile parsed = parse_fixture("renv/renv.lock");
  CHECK(parsed.format == "renv.lock");
  std::vector<std::string> got;
  for (const Package& p : parsed.packages) got.push_back(p.ecosystem + ":" + p.name + "@" + p.version + ":" + std::to_string(p.line));
  CHECK(got == std::vector<std::string>{"Bioconductor:BiocGenerics@0.48.1:15", "CRAN:jsonlite@1.8.8:32",
                                        "CRAN:markdown@1.0:42", "CRAN:xfun@0.41:65"});
  CHECK(has_warning(parsed, "1 package(s) from GitHub"));
  CHECK(has_warning(parsed, "mytools (GitHub)"));
}

TEST_CASE("renv.lock: malformed") { check_error("renv.lock", 6, "'Version'"); }

TEST_CASE("verification-metadata.xml: components as Maven group:name") {
  ParsedLockfile parsed = parse_fixture("gradle-verification/verification-metadata.xml");
  CHECK(parsed.format == "verification-metadata.xml");
  CHECK(summary(parsed, "Maven") ==
        std::vector<std::string>{"com.google.guava:guava@31.1-jre:11?",
                                 "com.fasterxml.jackson.core:jackson-databind@2.13.2.2:19?",
                                 "org.apache.logging.log4j:log4j-core@2.14.1:26?"});
}

TEST_CASE("verification-metadata.xml: malformed") {
  check_error("verification-metadata.xml", 6, "<component> needs group, name and version");
}

TEST_CASE("gems.locked (Bundler's gems.rb lock) reads like Gemfile.lock") {
  ParsedLockfile parsed = parse_fixture("gems/gems.locked");
  CHECK(summary(parsed, "RubyGems") ==
        std::vector<std::string>{"nokogiri@1.13.3:4+", "racc@1.6.0:6-", "rack@2.2.3:7+"});
}

TEST_CASE("buildscript-gradle.lockfile reads like gradle.lockfile") {
  ParsedLockfile parsed = parse_fixture("gradle-buildscript/buildscript-gradle.lockfile");
  CHECK(summary(parsed, "Maven") == std::vector<std::string>{"com.android.tools.build:gradle@7.4.2:4?",
                                                             "com.google.protobuf:protobuf-java@3.19.6:5?",
                                                             "org.jetbrains.kotlin:kotlin-gradle-plugin@1.8.10:6?"});
  CHECK(parsed.warnings.empty());
}

namespace {

// Every fixture of a new format: cut short at every length (lines for the bigger ones) and with
// random bytes overwritten; each attempt must return or throw a UsageError naming the file.
const char* const kFixtures[] = {"pub/pubspec.lock",          "mix/mix.lock",
                                 "conan-v04/conan.lock",      "conan-v05/conan.lock",
                                 "pdm/pdm.lock",              "pylock/pylock.toml",
                                 "swift-v1/Package.resolved", "swift-v3/Package.resolved",
                                 "nuget-config/packages.config", "deps-json/WebApi.deps.json",
                                 "cocoapods/Podfile.lock",    "renv/renv.lock",
                                 "gradle-verification/verification-metadata.xml"};

void parse_or_usage_error(const std::string& name, const std::string& content) {
  try {
    parse_lockfile(name, content);
  } catch (const agent::util::UsageError& e) {
    CHECK(std::string(e.what()).rfind(name + ":", 0) == 0);
  }
}

}  // namespace

TEST_CASE("new formats: truncated and corrupted input never escapes as anything but UsageError") {
  std::mt19937 rng(11);
  for (const char* rel : kFixtures) {
    std::string content = slurp(data(rel));
    std::string name = fs::path(rel).filename().string();
    INFO(rel);
    for (std::size_t cut = 0; cut < content.size(); cut += content.size() > 1500 ? 7 : 1) {
      parse_or_usage_error(name, content.substr(0, cut));
    }
    for (int round = 0; round < 200; ++round) {
      std::string noisy = content;
      for (int k = 0; k < 4; ++k) {
        noisy[rng() % noisy.size()] = static_cast<char>(rng() % 256);
      }
      parse_or_usage_error(name, noisy);
    }
  }
}
