#include <catch2/catch_test_macros.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "agent/controls/dependencies/version.h"

using namespace agent::controls::dependencies;
namespace fs = std::filesystem;

namespace {

const fs::path kVectors = fs::path(JIT_SHARED_DATA_DIR) / "osv" / "version-compare-vectors";

struct VectorRun {
  int lines = 0;
  std::vector<std::string> failures;
};

int expected_of(const std::string& op) { return op == "<" ? -1 : op == ">" ? 1 : 0; }

// Every "a <|=|> b" line, checked both ways (a vs b and b vs a).
VectorRun run_vectors(const std::string& ecosystem, const std::string& file) {
  VectorRun run;
  std::ifstream in(kVectors / file);
  REQUIRE(in.good());
  Scheme scheme = scheme_for_ecosystem(ecosystem);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line.starts_with("# ") || line.starts_with("// ")) continue;
    std::istringstream fields(line);
    std::string a, op, b, extra;
    fields >> a >> op >> b;
    REQUIRE_FALSE(b.empty());
    REQUIRE_FALSE(static_cast<bool>(fields >> extra));
    ++run.lines;
    int want = expected_of(op);
    int got = compare_versions(scheme, a, b);
    int back = compare_versions(scheme, b, a);
    if (got != want || back != -want) {
      run.failures.push_back(ecosystem + " " + file + ": " + line + " (got " +
                             std::to_string(got) + ", reverse " + std::to_string(back) + ")");
    }
  }
  return run;
}

void check_file(const std::string& ecosystem, const std::string& file) {
  if (!fs::exists(kVectors / file)) {
    SKIP("version vectors absent: " << (kVectors / file).string());
  }
  VectorRun run = run_vectors(ecosystem, file);
  INFO(ecosystem << " / " << file << ": " << run.failures.size() << " of " << run.lines
                 << " lines failed");
  for (std::size_t i = 0; i < run.failures.size() && i < 25; ++i) UNSCOPED_INFO(run.failures[i]);
  CHECK(run.lines > 0);
  CHECK(run.failures.empty());
}

}  // namespace

TEST_CASE("version vectors: SemVer for npm, crates.io and Go") {
  check_file("npm", "semver-versions.txt");
  check_file("crates.io", "semver-versions.txt");
  check_file("Go", "semver-versions.txt");
}

TEST_CASE("version vectors: NuGet") { check_file("NuGet", "nuget-versions.txt"); }

TEST_CASE("version vectors: PyPI (PEP 440)") {
  check_file("PyPI", "pypi-versions.txt");
  check_file("PyPI", "pypi-versions-generated.txt");
}

TEST_CASE("version vectors: Maven") {
  check_file("Maven", "maven-versions.txt");
  check_file("Maven", "maven-versions-generated.txt");
}

TEST_CASE("version vectors: RubyGems") {
  check_file("RubyGems", "rubygems-versions.txt");
  check_file("RubyGems", "rubygems-versions-generated.txt");
}

TEST_CASE("version vectors: Packagist") {
  check_file("Packagist", "packagist-versions.txt");
  check_file("Packagist", "packagist-versions-generated.txt");
}

TEST_CASE("Go pseudo-versions and +incompatible order as SemVer") {
  Scheme go = scheme_for_ecosystem("Go");
  CHECK(compare_versions(go, "v0.0.0-20191109021931-daa7c04131f5", "v0.0.0-20200101000000-aaaaaaaaaaaa") < 0);
  CHECK(compare_versions(go, "v0.0.0-20191109021931-daa7c04131f5", "0.1.0") < 0);
  CHECK(compare_versions(go, "v1.2.4-0.20200101000000-abcdefabcdef", "1.2.3") > 0);
  CHECK(compare_versions(go, "v1.2.4-0.20200101000000-abcdefabcdef", "1.2.4") < 0);
  CHECK(compare_versions(go, "v2.0.0+incompatible", "2.0.0") == 0);
}

TEST_CASE("ecosystem names map to schemes; suffixes are ignored") {
  CHECK(scheme_for_ecosystem("PyPI") == Scheme::pypi);
  CHECK(scheme_for_ecosystem("Maven:https://maven.google.com") == Scheme::maven);
  CHECK(scheme_for_ecosystem("crates.io") == Scheme::semver);
  CHECK(scheme_for_ecosystem("Debian:11") == Scheme::fallback);
  CHECK(base_ecosystem("Alpine:v3.16") == "Alpine");
}

TEST_CASE("fallback ordering is numeric-aware") {
  CHECK(compare_versions(Scheme::fallback, "1.10", "1.9") > 0);
  CHECK(compare_versions(Scheme::fallback, "1.0", "1.0beta") > 0);
  CHECK(compare_versions(Scheme::fallback, "1.0", "1.0.1") < 0);
  CHECK(compare_versions(Scheme::fallback, "2.0", "2.0") == 0);
}

TEST_CASE("version validity catches malformed record versions") {
  CHECK(is_valid_version(Scheme::pypi, "4.36.1"));
  CHECK_FALSE(is_valid_version(Scheme::pypi, "4.36.-1"));
  CHECK(is_valid_version(Scheme::pypi, "1!2.0rc1.post3.dev4+local.7"));
  CHECK(is_valid_version(Scheme::semver, "1.2.3-beta.1+build"));
  CHECK(is_valid_version(Scheme::semver, "v0.0.0-20191109021931-daa7c04131f5"));
  CHECK_FALSE(is_valid_version(Scheme::semver, "1.2.x"));
  CHECK_FALSE(is_valid_version(Scheme::semver, ""));
  CHECK_FALSE(is_valid_version(Scheme::maven, "1.0 beta"));
  CHECK(is_valid_version(Scheme::maven, "2.0.1-SNAPSHOT"));
}

TEST_CASE("package names are compared the ecosystem's way") {
  CHECK(normalize_package_name("PyPI", "Django_REST.framework") == "django-rest-framework");
  CHECK(normalize_package_name("NuGet", "Newtonsoft.Json") == "newtonsoft.json");
  CHECK(normalize_package_name("npm", "@Babel/Core") == "@Babel/Core");
}
