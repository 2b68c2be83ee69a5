// Version ordering of the ecosystems the newer lockfile formats bring: Pub, CRAN/Bioconductor,
// and the SemVer-like ones (Hex, SwiftURL, CocoaPods), ConanCenter's fallback order.
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

// Every "a <|=|> b" line of a vector file, checked both ways; returns the failures.
std::vector<std::string> failures_of(const std::string& ecosystem, const fs::path& file, int& lines) {
  std::vector<std::string> failures;
  std::ifstream in(file);
  REQUIRE(in.good());
  Scheme scheme = scheme_for_ecosystem(ecosystem);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line.starts_with("#") || line.starts_with("//")) continue;
    std::istringstream fields(line);
    std::string a, op, b, extra;
    fields >> a >> op >> b;
    if (a.empty()) continue;  // whitespace only
    REQUIRE_FALSE(b.empty());
    REQUIRE_FALSE(static_cast<bool>(fields >> extra));
    ++lines;
    int want = op == "<" ? -1 : op == ">" ? 1 : 0;
    int got = compare_versions(scheme, a, b);
    int back = compare_versions(scheme, b, a);
    if (got != want || back != -want) {
      failures.push_back(line + " (got " + std::to_string(got) + ", reverse " + std::to_string(back) + ")");
    }
  }
  return failures;
}

void check_vectors(const std::string& ecosystem, const std::string& name) {
  fs::path file = kVectors / name;
  if (!fs::exists(file)) SKIP("version vectors absent (../shared/data not mounted): " << file.string());
  int lines = 0;
  std::vector<std::string> failures = failures_of(ecosystem, file, lines);
  INFO(ecosystem << " / " << name << ": " << failures.size() << " of " << lines << " lines failed");
  for (std::size_t i = 0; i < failures.size() && i < 25; ++i) UNSCOPED_INFO(failures[i]);
  CHECK(lines > 0);
  CHECK(failures.empty());
}

}  // namespace

TEST_CASE("version vectors: Pub") { check_vectors("Pub", "pub-versions.txt"); }

TEST_CASE("version vectors: CRAN") {
  check_vectors("CRAN", "cran-versions.txt");
  check_vectors("CRAN", "cran-versions-generated.txt");
}

TEST_CASE("new ecosystems map to their schemes") {
  CHECK(scheme_for_ecosystem("Pub") == Scheme::pub);
  CHECK(scheme_for_ecosystem("CRAN") == Scheme::cran);
  CHECK(scheme_for_ecosystem("Bioconductor") == Scheme::cran);
  CHECK(scheme_for_ecosystem("Hex") == Scheme::semver);
  CHECK(scheme_for_ecosystem("SwiftURL") == Scheme::semver);
  CHECK(scheme_for_ecosystem("CocoaPods") == Scheme::semver);
  CHECK(scheme_for_ecosystem("ConanCenter") == Scheme::fallback);
}

TEST_CASE("Pub: build metadata orders, unlike SemVer") {
  CHECK(compare_versions(Scheme::pub, "1.0.0", "1.0.0+1") < 0);
  CHECK(compare_versions(Scheme::pub, "1.0.0+2", "1.0.0+10") < 0);
  CHECK(compare_versions(Scheme::pub, "1.0.0+10", "1.0.0+a") < 0);
  CHECK(compare_versions(Scheme::pub, "1.0.0-dev+5", "1.0.0") < 0);
  CHECK(compare_versions(Scheme::semver, "1.0.0", "1.0.0+1") == 0);
  CHECK(is_valid_version(Scheme::pub, "2.11.0"));
  CHECK_FALSE(is_valid_version(Scheme::pub, "2.x"));
}

TEST_CASE("CRAN: components split at '.' and '-', a missing one is lowest") {
  CHECK(compare_versions(Scheme::cran, "1.0-10", "1.0-9") > 0);
  CHECK(compare_versions(Scheme::cran, "1.8", "1.8.0") < 0);
  CHECK(compare_versions(Scheme::cran, "0.01.0", "0.1-0") == 0);
  CHECK(compare_versions(Scheme::cran, "1.0", "1.0.0.0.1") < 0);
  CHECK(is_valid_version(Scheme::cran, "0.1-2"));
  CHECK(is_valid_version(Scheme::cran, "3.17.1"));
  CHECK_FALSE(is_valid_version(Scheme::cran, "1"));
  CHECK_FALSE(is_valid_version(Scheme::cran, "1.0beta"));
  CHECK_FALSE(is_valid_version(Scheme::cran, "1..0"));
}

TEST_CASE("ConanCenter: numbers numerically, a pre-release below its release") {
  Scheme conan = scheme_for_ecosystem("ConanCenter");
  CHECK(compare_versions(conan, "1.2.13", "1.2.9") > 0);
  CHECK(compare_versions(conan, "3.0.0-pre", "3.0.0") < 0);
  CHECK(compare_versions(conan, "cci.20230101", "cci.20240101") < 0);
}

TEST_CASE("Hex, SwiftURL and CocoaPods order as SemVer") {
  CHECK(compare_versions(scheme_for_ecosystem("Hex"), "1.7.0-rc.1", "1.7.0") < 0);
  CHECK(compare_versions(scheme_for_ecosystem("SwiftURL"), "2.41.1", "2.9.0") > 0);
  CHECK(compare_versions(scheme_for_ecosystem("CocoaPods"), "10.3.0", "9.6.0") > 0);
}
