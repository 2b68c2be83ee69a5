#include <catch2/catch_test_macros.hpp>

#include <unistd.h>

#include <filesystem>
#include <chrono>
#include <fstream>
#include <random>
#include <sstream>

#include "agent/controls/secrets/engine.h"

using namespace agent::controls::secrets;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    std::random_device rd;
    path = fs::temp_directory_path() / ("jit-engine-cache-" + std::to_string(getpid()) + "-" + std::to_string(rd()));
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

RuleSet rules(const std::string& token_prefix = "glpat-") {
  return load_rules_from_string(R"(rules:
  - id: pat
    name: PAT
    severity: high
    pattern: '\b()" + token_prefix + R"([0-9A-Za-z]{20})\b'
    examples: [x]
)", "cache.yaml");
}

std::vector<fs::path> db_files(const fs::path& dir) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path());
  return out;
}

std::size_t findings_in(const Engine& engine, const std::string& text) {
  auto scratch = engine.make_scratch();
  std::vector<agent::findings::Finding> out;
  agent::findings::ScanStats stats;
  engine.scan(text, "f", *scratch, out, stats);
  return out.size();
}

const std::string kText = "t = glpat-Xk9pQ2rT7vB4nM8sL1wZ\n";

}  // namespace

TEST_CASE("a second engine loads the compiled rules from the cache", "[cache]") {
  TempDir dir;
  fs::path cache = dir.path / "hsdb";
  Engine first(rules(), cache);
  CHECK_FALSE(first.loaded_from_cache());
  auto files = db_files(cache);
  REQUIRE(files.size() == 1);
  CHECK(files[0].extension() == ".hsdb");
  Engine second(rules(), cache);
  CHECK(second.loaded_from_cache());
  CHECK(findings_in(second, kText) == 1);
  // Other rules, another key: no false reuse.
  Engine other(rules("ghp_"), cache);
  CHECK_FALSE(other.loaded_from_cache());
  CHECK(db_files(cache).size() == 2);
  CHECK(findings_in(other, kText) == 0);
}

TEST_CASE("a corrupt cache file is detected and rebuilt", "[cache]") {
  TempDir dir;
  Engine first(rules(), dir.path);
  auto file = db_files(dir.path).at(0);

  SECTION("garbage") {
    std::ofstream(file, std::ios::binary | std::ios::trunc) << "not a database";
  }
  SECTION("a flipped byte in the payload") {
    std::fstream f(file, std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(static_cast<std::streamoff>(fs::file_size(file) - 10));
    f.put('\x5a');
  }
  SECTION("truncated") {
    fs::resize_file(file, fs::file_size(file) / 2);
  }
  SECTION("empty") {
    fs::resize_file(file, 0);
  }
  SECTION("another rule set's valid database under this name") {
    TempDir other;
    Engine ghp(rules("ghp_"), other.path);
    fs::copy_file(db_files(other.path).at(0), file, fs::copy_options::overwrite_existing);
  }
  Engine rebuilt(rules(), dir.path);
  CHECK_FALSE(rebuilt.loaded_from_cache());
  CHECK(findings_in(rebuilt, kText) == 1);
  Engine again(rules(), dir.path);
  CHECK(again.loaded_from_cache());
  CHECK(findings_in(again, kText) == 1);
  CHECK(db_files(dir.path).size() == 1);  // no temporary files left behind
}

TEST_CASE("old databases are pruned, the newest kept", "[cache]") {
  TempDir dir;
  const auto old = fs::file_time_type::clock::now() - std::chrono::hours(24);
  for (int i = 0; i < 12; ++i) {
    fs::path stale = dir.path / ("stale" + std::to_string(i) + ".hsdb");
    std::ofstream(stale) << "old";
    fs::last_write_time(stale, old + std::chrono::minutes(i));
  }
  std::ofstream(dir.path / "notes.txt") << "not ours";
  Engine engine(rules(), dir.path);
  auto files = db_files(dir.path);
  CHECK(files.size() == 9);  // 8 databases (the new one + the 7 newest stale ones) + notes.txt
  CHECK(fs::exists(dir.path / "notes.txt"));
  CHECK(fs::exists(dir.path / "stale11.hsdb"));
  CHECK_FALSE(fs::exists(dir.path / "stale4.hsdb"));
  Engine again(rules(), dir.path);
  CHECK(again.loaded_from_cache());
}

TEST_CASE("no cache folder means no cache", "[cache]") {
  Engine a(rules(), {});
  Engine b(rules(), {});
  CHECK_FALSE(b.loaded_from_cache());
  CHECK(findings_in(b, kText) == 1);
}

TEST_CASE("an unwritable cache folder is not an error", "[cache]") {
  TempDir dir;
  fs::path blocker = dir.path / "file";
  std::ofstream(blocker) << "x";
  Engine engine(rules(), blocker / "hsdb");  // cannot create a folder under a file
  CHECK_FALSE(engine.loaded_from_cache());
  CHECK(findings_in(engine, kText) == 1);
}
