// Every fixture of ../shared/data/lockfiles/ (osv-scalibr's test data, 15 formats): valid ones
// parse without throwing, the deliberately invalid ones fail with an error naming file and line.
#include <catch2/catch_test_macros.hpp>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>

#include "agent/controls/dependencies/lockfiles.h"
#include "agent/util/error.h"

namespace fs = std::filesystem;
using namespace agent::controls::dependencies;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

struct FormatDir {
  const char* dir;
  LockfileKind kind;
  std::set<std::string> invalid;  // paths relative to the format folder
};

// Which fixtures are not valid input for the format, and why (looked at one by one):
const std::vector<FormatDir> kFormats = {
    {"dotnet_packageslockjson", LockfileKind::nuget, {"invalid/invalid"}},  // "not\njson"
    // go.sum files sit next to the go.mod fixtures; they are not go.mod files.
    {"golang_gomod", LockfileKind::gomod, {"not-go-mod.mod", "indirect-1.16.sum", "indirect-1.23.sum"}},
    {"java_gradlelockfile", LockfileKind::gradle, {}},  // with-bad-pkg: bad lines are warnings
    {"java_pomxml", LockfileKind::maven, {"invalid-syntax.xml", "not-pom.txt"}},  // <${Id}.version>
    {"javascript_bunlock", LockfileKind::bun, {"bad-tuple.json5", "not-json.txt"}},  // [123, ...]
    {"javascript_packagelockjson", LockfileKind::npm, {"not-json.txt", "null.v2.jsontest"}},
    {"javascript_pnpmlock", LockfileKind::pnpm, {"not-yaml.txt"}},  // a YAML scalar, not a map
    {"javascript_yarnlock", LockfileKind::yarn, {}},
    {"php_composerlock", LockfileKind::composer, {"not-json.txt", "null.jsontest"}},
    {"python_pipfilelock", LockfileKind::pipfile, {"not-json.txt"}},
    {"python_poetrylock", LockfileKind::poetry, {"not-toml.txt"}},
    {"python_requirements", LockfileKind::requirements, {}},  // invalid.txt: warnings per line
    {"python_uvlock", LockfileKind::uv, {"not-toml.txt"}},
    {"ruby_gemfilelock", LockfileKind::gemfile, {"invalid.lock"}},  // a spec without "(version)"
    {"rust_cargolock", LockfileKind::cargo, {"not-toml.txt"}},
};

fs::path fixtures_root() { return fs::path(JIT_SHARED_DATA_DIR) / "lockfiles"; }

}  // namespace

TEST_CASE("every shared lockfile fixture parses, invalid ones fail naming file and line",
          "[lockfiles][shared-data]") {
  if (!fs::is_directory(fixtures_root())) SKIP("shared lockfile fixtures absent: " + fixtures_root().string());
  std::size_t files = 0;
  for (const FormatDir& format : kFormats) {
    fs::path dir = fixtures_root() / format.dir;
    REQUIRE(fs::is_directory(dir));
    std::set<std::string> failed_as_expected;
    for (const auto& entry : fs::recursive_directory_iterator(dir)) {
      if (!entry.is_regular_file()) continue;
      ++files;
      std::string rel = entry.path().lexically_relative(dir).generic_string();
      std::string path = entry.path().string();
      std::string content = slurp(entry.path());
      INFO(format.dir << "/" << rel);
      if (format.invalid.count(rel)) {
        try {
          parse_lockfile_as(format.kind, path, content);
          FAIL("expected an error");
        } catch (const agent::util::UsageError& e) {
          std::string message = e.what();
          CHECK(message.rfind(path + ":", 0) == 0);                   // names the file
          CHECK(message.size() > path.size() + 2);
          CHECK(std::isdigit(static_cast<unsigned char>(message[path.size() + 1])));  // and a line
          failed_as_expected.insert(rel);
        }
      } else {
        ParsedLockfile parsed;
        REQUIRE_NOTHROW(parsed = parse_lockfile_as(format.kind, path, content));
        CHECK(parsed.path == path);
        CHECK_FALSE(parsed.format.empty());
        for (const Package& p : parsed.packages) {
          CHECK_FALSE(p.name.empty());
          // Every package of the inventory: a registry one has an exact version or, unpinned, its
          // requirement (possibly none: "any version"); others name where they come from.
          if (p.source_kind.empty() && p.version.empty()) {
            CHECK((format.kind == LockfileKind::requirements || format.kind == LockfileKind::pipfile ||
                   format.kind == LockfileKind::maven));  // manifests, where a requirement may be unpinned
          }
          if (!p.source_kind.empty())
            CHECK((p.source_kind == "git" || p.source_kind == "path" || p.source_kind == "url"));
          if (!p.requirement.empty()) CHECK(p.version.empty());
          CHECK(p.line > 0);
        }
      }
    }
    CHECK(failed_as_expected == format.invalid);
  }
  CHECK(files == 227);
}

TEST_CASE("mutated shared fixtures parse or fail with a UsageError", "[lockfiles][shared-data]") {
  if (!fs::is_directory(fixtures_root())) SKIP("shared lockfile fixtures absent: " + fixtures_root().string());
  // Byte flips, structural characters inserted, cuts and deletions, with a fixed seed.
  const char* const tokens[] = {"{", "}", "[", "]", "\"", ":", ",", "\n", "  ", "\\", "${", "<", "</", "#",
                                "=", "[[package]]", "'''", "(", ")", "@", "\xff", "---\n", "&a ", "*a", "? "};
  std::mt19937 random(1234);
  ParseOptions options;  // includes are answered from memory, never from the disk
  options.read_include = [](const std::string&) -> std::optional<std::string> { return "a==1\n-r x.txt\n"; };
  std::size_t parsed = 0, rejected = 0;
  for (const FormatDir& format : kFormats) {
    for (const auto& entry : fs::recursive_directory_iterator(fixtures_root() / format.dir)) {
      if (!entry.is_regular_file()) continue;
      std::string original = slurp(entry.path());
      for (int round = 0; round < 20; ++round) {
        std::string m = original;
        for (int edit = 0, edits = 1 + static_cast<int>(random() % 3); edit < edits; ++edit) {
          std::size_t pos = random() % (m.size() + 1);
          switch (random() % 4) {
            case 0: if (pos < m.size()) m[pos] = static_cast<char>(random()); break;
            case 1: m.insert(pos, tokens[random() % std::size(tokens)]); break;
            case 2: m.resize(pos); break;
            default: if (pos < m.size()) m.erase(pos, 1 + random() % 20); break;
          }
        }
        try {
          parse_lockfile_as(format.kind, "mutated", m, options);
          ++parsed;
        } catch (const agent::util::UsageError& e) {
          CHECK(std::string(e.what()).rfind("mutated", 0) == 0);
          ++rejected;
        }
      }
    }
  }
  CHECK(parsed + rejected == 227 * 20);
  CHECK(parsed > 0);
  CHECK(rejected > 0);
}

TEST_CASE("fixtures that are real lockfile names are detected by name", "[lockfiles][shared-data]") {
  if (!fs::is_directory(fixtures_root())) SKIP("shared lockfile fixtures absent: " + fixtures_root().string());
  fs::path npm = fixtures_root() / "javascript_packagelockjson";
  for (const char* rel : {"both/package-lock.json", "both/npm-shrinkwrap.json", "package-lock-only/package-lock.json",
                          "npm-shrinkwrap-only/npm-shrinkwrap.json"}) {
    fs::path p = npm / rel;
    ParsedLockfile parsed = parse_lockfile(p.string(), slurp(p));
    CHECK(parsed.packages.size() == 2);
    CHECK(parsed.format == p.filename().string() + " v2");
  }
  fs::path nuget = fixtures_root() / "dotnet_packageslockjson/valid/packages.lock.json";
  CHECK(parse_lockfile(nuget.string(), slurp(nuget)).packages.size() == 8);
}
