// Malformed input: truncated files, wrong types, binary garbage, empty files, 100 MB files. Every
// parser either returns or throws util::UsageError "path:line[:col]: ..."; nothing else escapes.
#include <catch2/catch_test_macros.hpp>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include "agent/controls/dependencies/lockfiles.h"
#include "agent/util/error.h"

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

std::string error_of(const fs::path& p) {
  try {
    parse_lockfile(p.string(), slurp(p));
  } catch (const agent::util::UsageError& e) {
    return e.what();
  }
  return "no error";
}

constexpr LockfileKind kAllKinds[] = {
    LockfileKind::npm,      LockfileKind::yarn,     LockfileKind::pnpm,     LockfileKind::bun,
    LockfileKind::requirements, LockfileKind::poetry, LockfileKind::pipfile, LockfileKind::uv,
    LockfileKind::gomod,    LockfileKind::cargo,    LockfileKind::gemfile,  LockfileKind::composer,
    LockfileKind::maven,    LockfileKind::gradle,   LockfileKind::nuget};

// Parses and accepts either outcome a malformed input may have: packages or a UsageError.
void parse_or_usage_error(LockfileKind kind, const std::string& content) {
  try {
    parse_lockfile_as(kind, "input", content);
  } catch (const agent::util::UsageError& e) {
    CHECK(std::string(e.what()).rfind("input:", 0) == 0);
  }
}

// One small valid file per kind, to cut short at every length.
const std::pair<LockfileKind, const char*> kSamples[] = {
    {LockfileKind::npm, "{\"lockfileVersion\": 3, \"packages\": {\"\": {\"dependencies\": {\"a\": \"1\"}},\n"
                        "\"node_modules/a\": {\"version\": \"1.0.0\"}}}\n"},
    {LockfileKind::yarn, "__metadata:\n  version: 8\n\n\"a@npm:^1.0.0\":\n  version: 1.0.0\n"
                         "  resolution: \"a@npm:1.0.0\"\n"},
    {LockfileKind::pnpm, "lockfileVersion: '9.0'\nimporters:\n  .:\n    dependencies:\n      a:\n"
                         "        specifier: ^1\n        version: 1.0.0\npackages:\n  a@1.0.0:\n"
                         "    resolution: {integrity: sha512-x}\n"},
    {LockfileKind::bun, "{\"lockfileVersion\": 0, \"workspaces\": {\"\": {\"dependencies\": {\"a\": \"^1\",},},},\n"
                        "\"packages\": {\"a\": [\"a@1.0.0\", \"\", {}, \"sha512-x\"],}}\n"},
    {LockfileKind::requirements, "a==1.0 \\\n  --hash=sha256:00\nb[x]===2.0 ; python_version < \"3\"\n"},
    {LockfileKind::poetry, "[[package]]\nname = \"a\"\nversion = \"1.0.0\"\ndescription = \"\"\"x\n\"\"\"\n"
                           "[metadata]\nlock-version = \"2.0\"\n"},
    {LockfileKind::pipfile, "{\"default\": {\"a\": {\"version\": \"==1.0.0\"}}, \"develop\": {}}\n"},
    {LockfileKind::uv, "version = 1\n[[package]]\nname = \"a\"\nversion = \"1.0.0\"\n"
                       "source = { registry = \"https://pypi.example.com/simple\" }\nwheels = [\n  { url = \"u\" },\n]\n"},
    {LockfileKind::gomod, "module m\n\ngo 1.22.1\n\nrequire (\n\tgithub.com/a/b v1.0.0 // indirect\n)\n"
                          "replace github.com/a/b => github.com/c/d v1.1.0\n"},
    {LockfileKind::cargo, "version = 3\n\n[[package]]\nname = \"a\"\nversion = \"1.0.0\"\n"
                          "source = \"registry+https://github.com/rust-lang/crates.io-index\"\n"},
    {LockfileKind::gemfile, "GEM\n  remote: https://rubygems.example.com/\n  specs:\n    a (1.0.0)\n\nDEPENDENCIES\n  a\n"},
    {LockfileKind::composer, "{\"packages\": [{\"name\": \"a/b\", \"version\": \"1.0.0\"}], \"packages-dev\": []}\n"},
    {LockfileKind::maven, "<?xml version=\"1.0\"?>\n<project><properties><v>1.0</v></properties>\n"
                          "<dependencies><dependency><groupId>g</groupId><artifactId>a</artifactId>"
                          "<version>${v}</version></dependency></dependencies></project>\n"},
    {LockfileKind::gradle, "# comment\ng:a:1.0.0=compileClasspath\nempty=\n"},
    {LockfileKind::nuget, "{\"version\": 1, \"dependencies\": {\"net6.0\": {\"A\": {\"type\": \"Direct\", "
                          "\"resolved\": \"1.0.0\"}}}}\n"},
};

}  // namespace

TEST_CASE("truncated JSON names the file, line and column", "[lockfiles][malformed]") {
  fs::path p = data("truncated/package-lock.json");
  std::string message = error_of(p);
  INFO(message);
  CHECK(message.rfind(p.string() + ":14:1: invalid JSON: ", 0) == 0);
  CHECK(message.find("unexpected end of input") != std::string::npos);
}

TEST_CASE("wrong types name the file, line and field", "[lockfiles][malformed]") {
  CHECK(error_of(data("wrong-type/package-lock.json")) ==
        data("wrong-type/package-lock.json").string() +
            ":11: 'version' of package 'node_modules/wrappy' must be a string, not a number");
  CHECK(error_of(data("wrong-type/composer.lock")) ==
        data("wrong-type/composer.lock").string() +
            ":8: 'version' of packages[1] must be a string, not a number");
  CHECK(error_of(data("wrong-type/Cargo.lock")) ==
        data("wrong-type/Cargo.lock").string() + ":10: 'version' of [[package]] must be a string");
  CHECK(error_of(data("wrong-type/pnpm-lock.yaml")) ==
        data("wrong-type/pnpm-lock.yaml").string() +
            ":13:14: 'version' of package 'acorn@8.11.3' must be a string");
}

TEST_CASE("every valid sample parses, and every prefix of it parses or fails cleanly",
          "[lockfiles][malformed]") {
  for (const auto& [kind, sample] : kSamples) {
    std::string content = sample;
    INFO(kind_name(kind));
    ParsedLockfile full = parse_lockfile_as(kind, "input", content);
    CHECK_FALSE(full.packages.empty());
    for (std::size_t n = 0; n < content.size(); ++n) {
      INFO("prefix of " << n << " bytes");
      parse_or_usage_error(kind, content.substr(0, n));
    }
  }
}

TEST_CASE("binary garbage never crashes a parser", "[lockfiles][malformed]") {
  std::mt19937 random(42);
  for (LockfileKind kind : kAllKinds) {
    INFO(kind_name(kind));
    for (int round = 0; round < 20; ++round) {
      std::string garbage(1 + random() % 4096, '\0');
      for (char& c : garbage) c = static_cast<char>(random() & 0xFF);
      parse_or_usage_error(kind, garbage);
    }
    // Garbage inside otherwise valid structure: flip bytes of the sample.
    for (const auto& [sample_kind, sample] : kSamples) {
      if (sample_kind != kind) continue;
      for (int round = 0; round < 200; ++round) {
        std::string mutated = sample;
        mutated[random() % mutated.size()] = static_cast<char>(random() & 0xFF);
        parse_or_usage_error(kind, mutated);
      }
    }
  }
}

TEST_CASE("yaml-cpp's endless empty documents end in an error", "[lockfiles][malformed]") {
  // yaml-cpp 0.7's event parser reports a null document at the same place forever on these.
  for (const char* content : {",this is not valid yaml", "lockfileVersion: '9.0'\n---\n,\n"}) {
    INFO(content);
    CHECK_THROWS_AS(parse_lockfile_as(LockfileKind::pnpm, "input", content), agent::util::UsageError);
  }
  // Real multi-document lockfiles (pnpm 9 may write an environment document first) still parse.
  ParsedLockfile two = parse_lockfile_as(LockfileKind::pnpm, "input",
                                         "lockfileVersion: '9.0'\nimporters: {}\n---\nlockfileVersion: '9.0'\n"
                                         "packages:\n  a@1.0.0:\n    resolution: {integrity: x}\n");
  REQUIRE(two.packages.size() == 1);
  CHECK(two.packages[0].line == 6);
}

TEST_CASE("empty and whitespace-only files have no packages", "[lockfiles][malformed]") {
  for (LockfileKind kind : kAllKinds) {
    INFO(kind_name(kind));
    for (const char* content : {"", "\n", "  \r\n\t\n"}) {
      ParsedLockfile parsed = parse_lockfile_as(kind, "empty", content);
      CHECK(parsed.packages.empty());
      CHECK(parsed.warnings.empty());
      CHECK(parsed.format == kind_name(kind));
    }
  }
}

TEST_CASE("nesting is bounded: deep JSON, YAML, TOML and XML fail instead of overflowing",
          "[lockfiles][malformed]") {
  const std::size_t depth = 100000;
  CHECK_THROWS_AS(parse_lockfile_as(LockfileKind::npm, "deep", std::string(depth, '[')),
                  agent::util::UsageError);
  CHECK_THROWS_AS(parse_lockfile_as(LockfileKind::pnpm, "deep", std::string(depth, '[')),
                  agent::util::UsageError);
  CHECK_THROWS_AS(parse_lockfile_as(LockfileKind::cargo, "deep", "a = " + std::string(depth, '[')),
                  agent::util::UsageError);
  std::string xml;
  for (std::size_t i = 0; i < depth / 10; ++i) xml += "<a>";
  CHECK_THROWS_AS(parse_lockfile_as(LockfileKind::maven, "deep", xml), agent::util::UsageError);
}

TEST_CASE("a 100 MB package-lock.json parses in one pass", "[lockfiles][malformed][large]") {
  // ~100 MB of realistic entries; memory stays moderate because unused fields are dropped.
  std::string content = "{\n  \"lockfileVersion\": 3,\n  \"packages\": {\n    \"\": {\"dependencies\": {\"p0\": \"1\"}}";
  std::size_t count = 0;
  while (content.size() < 100u << 20) {
    content += ",\n    \"node_modules/p" + std::to_string(count) + "\": {\n      \"version\": \"1.0." +
               std::to_string(count) +
               "\",\n      \"resolved\": \"https://npm.example.com/p/-/p-1.0.0.tgz\",\n"
               "      \"integrity\": \"sha512-" + std::string(88, 'A') + "\",\n"
               "      \"engines\": {\"node\": \">=12\"}, \"funding\": {\"url\": \"https://example.com\"}\n    }";
    ++count;
  }
  content += "\n  }\n}\n";
  ParsedLockfile parsed = parse_lockfile("big/package-lock.json", content);
  REQUIRE(parsed.packages.size() == count);
  CHECK(parsed.packages.front().name == "p0");
  CHECK(parsed.packages.front().direct);
  CHECK(parsed.packages.front().line == 5);
  CHECK(parsed.packages.back().line == static_cast<int>(5 + 6 * (count - 1)));
  // The same file cut short: an error at its last line, not a crash or a hang.
  std::string cut = content.substr(0, content.size() - 100);
  CHECK_THROWS_AS(parse_lockfile("big/package-lock.json", cut), agent::util::UsageError);
}

TEST_CASE("a large pnpm-lock.yaml streams through yaml-cpp's events", "[lockfiles][malformed][large]") {
  // yaml-cpp's scanner is the slow part (a few MB/s); its event parser keeps memory flat.
  std::string content = "lockfileVersion: '9.0'\n\nimporters:\n  .:\n    dependencies:\n"
                        "      p0:\n        specifier: ^1.0.0\n        version: 1.0.0\n\npackages:\n";
  std::size_t count = 0;
  while (content.size() < 5u << 20) {
    std::string n = std::to_string(count++);
    content += "\n  p" + n + "@1.0." + n + ":\n    resolution: {integrity: sha512-" + std::string(88, 'A') +
               "}\n    engines: {node: '>=12'}\n";
  }
  ParsedLockfile parsed = parse_lockfile("big/pnpm-lock.yaml", content);
  REQUIRE(parsed.packages.size() == count);
  CHECK(parsed.packages.front().name == "p0");
  CHECK(parsed.packages.front().direct);
  CHECK(parsed.packages.front().line == 12);
  CHECK_FALSE(parsed.packages.back().direct);
  CHECK(parsed.packages.back().line == static_cast<int>(12 + 4 * (count - 1)));
}

TEST_CASE("100 MB of one line, or of garbage lines, stays linear", "[lockfiles][malformed][large]") {
  std::string line(100u << 20, 'x');
  ParsedLockfile req = parse_lockfile("big/requirements.txt", line);
  REQUIRE(req.packages.size() == 1);  // one unpinned requirement: "xxx...", listed without a version
  CHECK(req.packages[0].version.empty());
  REQUIRE(req.warnings.size() == 1);
  CHECK(req.warnings[0].size() < 1000);
  CHECK_THROWS_AS(parse_lockfile("big/yarn.lock", line), agent::util::UsageError);
  CHECK_THROWS_AS(parse_lockfile("big/Cargo.lock", line), agent::util::UsageError);
  CHECK_THROWS_AS(parse_lockfile("big/pom.xml", line), agent::util::UsageError);
  std::string lines;
  lines.reserve(100u << 20);
  while (lines.size() < 100u << 20) lines += "g:a:1.0.0=compileClasspath\nnot a dependency line\n";
  ParsedLockfile gradle = parse_lockfile("big/gradle.lockfile", lines);
  CHECK(gradle.packages.size() == 1);  // the same coordinates every time: merged
  REQUIRE(gradle.warnings.size() == 101);  // 100, then "more warnings not shown"
  CHECK(gradle.warnings.back() == "big/gradle.lockfile: more warnings not shown");
}
