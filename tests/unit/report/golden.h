#pragma once
// Golden-file comparison. Regenerate every golden file after an intended format change with
//   JIT_UPDATE_GOLDEN=1 ./unit_report
// then review `git diff tests/data/golden/`; without the variable any difference fails.
#include <catch2/catch_test_macros.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace agent::report::test {

inline std::filesystem::path golden_path(const std::string& name) {
  return std::filesystem::path(JIT_TEST_DATA_DIR) / "golden" / name;
}

inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// 1-based number of the first line where `a` and `b` differ, with both lines.
inline std::string first_difference(const std::string& a, const std::string& b) {
  std::istringstream sa(a), sb(b);
  std::string la, lb;
  for (int n = 1;; ++n) {
    bool ea = !std::getline(sa, la), eb = !std::getline(sb, lb);
    if (ea && eb) return "only in line endings";
    if (ea || eb || la != lb)
      return "line " + std::to_string(n) + ":\n  golden: " + (ea ? "<end of file>" : la) +
             "\n  actual: " + (eb ? "<end of file>" : lb);
  }
}

inline void check_golden(const std::string& name, const std::string& actual) {
  auto path = golden_path(name);
  const char* update = std::getenv("JIT_UPDATE_GOLDEN");  // test-only switch, not agent config
  if (update && std::string(update) == "1") {
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << actual;
    WARN("rewrote golden file " << path.string());
  }
  REQUIRE(std::filesystem::exists(path));
  std::string expected = read_file(path);
  INFO("golden file " << path.string() << " differs (JIT_UPDATE_GOLDEN=1 regenerates it), first at "
                      << (expected == actual ? std::string("-") : first_difference(expected, actual)));
  CHECK(expected == actual);
}

}  // namespace agent::report::test
