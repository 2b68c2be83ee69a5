#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "agent/controls/secrets/verdict_cache.h"
#include "agent/util/fs.h"

using namespace agent::controls::secrets;
using Catch::Matchers::ContainsSubstring;
namespace fs = std::filesystem;

namespace {

const std::string kRules(64, 'a');
const std::string kOtherRules(64, 'b');
constexpr std::uint64_t kHeader = 84;  // bytes before the first record
constexpr std::uint64_t kRecord = 44;  // bytes per record

// A SHA-256-sized object id derived from `n` (use the first 20 bytes as a SHA-1 one).
std::array<unsigned char, 32> oid(std::uint64_t n) {
  std::array<unsigned char, 32> out{};
  std::uint64_t x = n + 1;
  for (auto& b : out) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;  // xorshift: ids look random, like hashes
    b = static_cast<unsigned char>(x);
  }
  return out;
}

bool has(const VerdictCache& c, std::uint64_t n, std::string_view key = "", std::size_t len = 20) {
  return c.contains(oid(n).data(), len, key);
}
void add(VerdictCache& c, std::uint64_t n, std::string_view key = "", std::size_t len = 20) {
  c.add(oid(n).data(), len, key);
}

fs::path cache_file(const fs::path& dir, const std::string& rules = kRules) {
  return dir / ("verdicts-" + rules.substr(0, 16) + ".bin");
}

void flip_byte(const fs::path& file, std::uint64_t offset) {
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(static_cast<std::streamoff>(offset));
  char c = 0;
  f.get(c);
  f.seekp(static_cast<std::streamoff>(offset));
  f.put(static_cast<char>(c ^ 0x40));
}

// A cache with verdicts 0..n-1 flushed to `dir`.
void seed(const fs::path& dir, std::uint64_t n) {
  std::vector<std::string> warnings;
  auto cache = VerdictCache::open(dir, kRules, warnings);
  for (std::uint64_t i = 0; i < n; ++i) add(cache, i);
  cache.flush();
  REQUIRE(warnings.empty());
}

}  // namespace

TEST_CASE("verdicts survive a flush and a second open", "[verdict_cache]") {
  agent::util::TempDir dir(fs::temp_directory_path(), "jit-verdicts-");
  std::vector<std::string> warnings;
  {
    auto cache = VerdictCache::open(dir.path(), kRules, warnings);
    REQUIRE(cache.enabled());
    CHECK(cache.file() == cache_file(dir.path()));
    for (std::uint64_t i = 0; i < 1000; ++i) add(cache, i, "", i % 2 ? 20 : 32);
    add(cache, 5, "", 20);  // already known: not stored twice
    CHECK(cache.size() == 1000);
    CHECK(has(cache, 7));
    cache.flush();
  }
  CHECK(fs::file_size(cache_file(dir.path())) == kHeader + 1000 * kRecord);
  auto again = VerdictCache::open(dir.path(), kRules, warnings);
  CHECK(warnings.empty());
  CHECK(again.size() == 1000);
  for (std::uint64_t i = 0; i < 1000; ++i) REQUIRE(has(again, i, "", i % 2 ? 20 : 32));
  CHECK_FALSE(has(again, 1000));
  CHECK_FALSE(has(again, 1001, "", 32));
}

TEST_CASE("the destructor flushes what is pending", "[verdict_cache]") {
  agent::util::TempDir dir(fs::temp_directory_path(), "jit-verdicts-");
  std::vector<std::string> warnings;
  { auto cache = VerdictCache::open(dir.path(), kRules, warnings); add(cache, 1); }
  CHECK(has(VerdictCache::open(dir.path(), kRules, warnings), 1));
}

TEST_CASE("a disabled cache knows nothing and writes nothing", "[verdict_cache]") {
  VerdictCache none;
  CHECK_FALSE(none.enabled());
  add(none, 1);
  none.flush();
  CHECK_FALSE(has(none, 1));
  CHECK(none.size() == 0);
  CHECK(none.file().empty());

  agent::util::TempDir dir(fs::temp_directory_path(), "jit-verdicts-");
  std::ofstream(dir.path() / "plain") << "a file, not a folder";
  std::vector<std::string> warnings;
  auto cache = VerdictCache::open(dir.path() / "plain" / "cache", kRules, warnings);
  CHECK_FALSE(cache.enabled());
  REQUIRE(warnings.size() == 1);
  CHECK_THAT(warnings[0], ContainsSubstring("verdict cache disabled"));
  add(cache, 1);
  CHECK_FALSE(has(cache, 1));

  warnings.clear();
  CHECK_FALSE(VerdictCache::open(dir.path(), "not hex!", warnings).enabled());
  CHECK(warnings.size() == 1);
}

TEST_CASE("path keys make separate verdicts", "[verdict_cache]") {
  agent::util::TempDir dir(fs::temp_directory_path(), "jit-verdicts-");
  std::vector<std::string> warnings;
  {
    auto cache = VerdictCache::open(dir.path(), kRules, warnings);
    add(cache, 1, "");
    add(cache, 2, "0,3");
    CHECK_FALSE(has(cache, 1, "0,3"));
    CHECK_FALSE(has(cache, 2, ""));
    CHECK_FALSE(has(cache, 2, "0"));
    add(cache, 1, "0,3");
    CHECK(has(cache, 1, "0,3"));
    CHECK(cache.size() == 3);
  }
  auto again = VerdictCache::open(dir.path(), kRules, warnings);
  CHECK(again.size() == 3);
  CHECK(has(again, 1, ""));
  CHECK(has(again, 1, "0,3"));
  CHECK(has(again, 2, "0,3"));
  CHECK_FALSE(has(again, 2, ""));
}

TEST_CASE("a damaged verdict file is dropped with a warning", "[verdict_cache]") {
  agent::util::TempDir dir(fs::temp_directory_path(), "jit-verdicts-");
  seed(dir.path(), 100);
  fs::path file = cache_file(dir.path());
  std::string expected;
  SECTION("a flipped byte in a record") {
    flip_byte(file, kHeader + 57 * kRecord + 3);
    expected = "bad checksum in record 58";
  }
  SECTION("a flipped byte in a record's checksum") {
    flip_byte(file, kHeader + 100 * kRecord - 1);
    expected = "bad checksum in record 100";
  }
  SECTION("a flipped byte in the header") {
    flip_byte(file, 0);
    expected = "bad magic";
  }
  SECTION("a torn last record") {
    fs::resize_file(file, kHeader + 99 * kRecord + 10);
    expected = "torn last record";
  }
  SECTION("shorter than a header") {
    fs::resize_file(file, 20);
    expected = "shorter than its header";
  }
  std::vector<std::string> warnings;
  {
    auto cache = VerdictCache::open(dir.path(), kRules, warnings);
    REQUIRE(warnings.size() == 1);
    CHECK_THAT(warnings[0], ContainsSubstring("is corrupt (" + expected));
    CHECK_THAT(warnings[0], ContainsSubstring("dropped"));
    CHECK(cache.enabled());
    CHECK(cache.size() == 0);
    CHECK_FALSE(has(cache, 0));
    CHECK(fs::file_size(file) == kHeader);  // started afresh
    add(cache, 500);
  }
  warnings.clear();
  auto again = VerdictCache::open(dir.path(), kRules, warnings);
  CHECK(warnings.empty());
  CHECK(again.size() == 1);
  CHECK(has(again, 500));
}

TEST_CASE("each rules hash has its own file; a foreign file under our name is dropped", "[verdict_cache]") {
  agent::util::TempDir dir(fs::temp_directory_path(), "jit-verdicts-");
  seed(dir.path(), 10);
  std::vector<std::string> warnings;
  {
    auto other = VerdictCache::open(dir.path(), kOtherRules, warnings);
    CHECK(other.file() == cache_file(dir.path(), kOtherRules));
    CHECK(other.size() == 0);
    CHECK_FALSE(has(other, 1));
    add(other, 20);
  }
  auto first = VerdictCache::open(dir.path(), kRules, warnings);
  CHECK(first.size() == 10);
  CHECK_FALSE(has(first, 20));
  CHECK(warnings.empty());

  // Same first 16 hex digits, other rules: the file is not ours to trust.
  std::string cousin = kRules.substr(0, 16) + std::string(48, 'c');
  auto foreign = VerdictCache::open(dir.path(), cousin, warnings);
  REQUIRE(warnings.size() == 1);
  CHECK_THAT(warnings[0], ContainsSubstring("written for other rules"));
  CHECK(foreign.size() == 0);
}

TEST_CASE("the file never grows past its bound and keeps the newest verdicts", "[verdict_cache]") {
  agent::util::TempDir dir(fs::temp_directory_path(), "jit-verdicts-");
  const std::uint64_t bound = kHeader + 100 * kRecord;
  fs::path file = cache_file(dir.path());
  std::vector<std::string> warnings;
  {
    auto cache = VerdictCache::open(dir.path(), kRules, warnings, bound);
    for (std::uint64_t batch = 0; batch < 10; ++batch) {
      for (std::uint64_t i = 0; i < 30; ++i) add(cache, batch * 30 + i);
      cache.flush();
      REQUIRE(fs::file_size(file) <= bound);
    }
    add(cache, 1000);
    for (std::uint64_t i = 2000; i < 2500; ++i) add(cache, i);  // one batch larger than the bound
    cache.flush();
    CHECK(fs::file_size(file) <= bound);
    CHECK(cache.size() == 801);  // memory keeps what this run learnt
  }
  auto again = VerdictCache::open(dir.path(), kRules, warnings, bound);
  CHECK(warnings.empty());
  CHECK(again.size() == 50);  // rewritten to half the bound, newest first
  CHECK(has(again, 2499));
  CHECK(has(again, 2450));
  CHECK_FALSE(has(again, 2449));
  CHECK_FALSE(has(again, 0));

  SECTION("a file larger than a smaller bound is cut down on open") {
    auto small = VerdictCache::open(dir.path(), kRules, warnings, kHeader + 10 * kRecord);
    CHECK(warnings.empty());
    CHECK(small.size() == 50);  // what was read stays usable
    CHECK(fs::file_size(file) == kHeader + 5 * kRecord);
    CHECK(has(VerdictCache::open(dir.path(), kRules, warnings), 2499));
  }
}

TEST_CASE("at most four verdict files stay in the folder", "[verdict_cache]") {
  agent::util::TempDir dir(fs::temp_directory_path(), "jit-verdicts-");
  std::vector<std::string> warnings;
  for (char c : std::string("12345")) {
    VerdictCache::open(dir.path(), std::string(64, c), warnings);
    // Newer rules, newer file: "1" is the least recently used.
    fs::last_write_time(cache_file(dir.path(), std::string(64, c)),
                        fs::file_time_type::clock::now() - std::chrono::hours(10 - (c - '0')));
  }
  std::ofstream(dir.path() / "verdicts-x.bin.tmp.1.2") << "left by a killed rewrite";
  fs::last_write_time(dir.path() / "verdicts-x.bin.tmp.1.2", fs::file_time_type::clock::now() - std::chrono::hours(2));
  VerdictCache::open(dir.path(), std::string(64, '6'), warnings);
  CHECK(warnings.empty());
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir.path())) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  CHECK(names == std::vector<std::string>{"verdicts-3333333333333333.bin", "verdicts-4444444444444444.bin",
                                          "verdicts-5555555555555555.bin", "verdicts-6666666666666666.bin"});
}

TEST_CASE("worker threads add and look up at once", "[verdict_cache]") {
  agent::util::TempDir dir(fs::temp_directory_path(), "jit-verdicts-");
  std::vector<std::string> warnings;
  constexpr std::uint64_t kPerThread = 25000;  // 4 x 25000 > kAutoFlush: add() flushes by itself too
  std::atomic<int> missing{0};
  {
    auto cache = VerdictCache::open(dir.path(), kRules, warnings);
    std::vector<std::thread> threads;
    for (std::uint64_t t = 0; t < 4; ++t)
      threads.emplace_back([&, t] {
        for (std::uint64_t i = 0; i < kPerThread; ++i) {
          std::uint64_t n = t * kPerThread + i;
          add(cache, n, "", 32);
          if (!has(cache, n, "", 32)) ++missing;
          (void)has(cache, ((t + 1) % 4) * kPerThread + i, "", 32);  // another thread's, maybe there
        }
      });
    for (auto& th : threads) th.join();
    CHECK(missing == 0);
    CHECK(cache.size() == 4 * kPerThread);
    CHECK(fs::file_size(cache_file(dir.path())) >= kHeader + VerdictCache::kAutoFlush * kRecord);
  }
  auto again = VerdictCache::open(dir.path(), kRules, warnings);
  CHECK(warnings.empty());
  CHECK(again.size() == 4 * kPerThread);
  CHECK(fs::file_size(cache_file(dir.path())) == kHeader + 4 * kPerThread * kRecord);
}

TEST_CASE("two caches appending to one file interleave without damage", "[verdict_cache]") {
  agent::util::TempDir dir(fs::temp_directory_path(), "jit-verdicts-");
  seed(dir.path(), 10);
  std::vector<std::string> warnings_a, warnings_b;
  auto a = VerdictCache::open(dir.path(), kRules, warnings_a);
  auto b = VerdictCache::open(dir.path(), kRules, warnings_b);
  auto job = [](VerdictCache& cache, std::uint64_t first) {
    for (std::uint64_t i = 0; i < 3000; ++i) {
      add(cache, first + 2 * i);
      if (i % 100 == 99) cache.flush();
    }
  };
  std::thread ta(job, std::ref(a), 100), tb(job, std::ref(b), 101);
  ta.join();
  tb.join();
  CHECK_FALSE(has(a, 101));  // b's verdicts reach a only through the file
  std::vector<std::string> warnings;
  auto c = VerdictCache::open(dir.path(), kRules, warnings);
  CHECK((warnings.empty() && warnings_a.empty() && warnings_b.empty()));
  CHECK(c.size() == 6010);
  for (std::uint64_t n = 100; n < 6100; ++n) REQUIRE(has(c, n));
}

TEST_CASE("a write error stops saving verdicts without throwing", "[verdict_cache]") {
  agent::util::TempDir dir(fs::temp_directory_path(), "jit-verdicts-");
  std::vector<std::string> warnings;
  auto cache = VerdictCache::open(dir.path(), kRules, warnings);
  fs::path file = cache_file(dir.path());
  fs::remove(file);
  fs::create_directory(file);  // the file cannot be opened any more
  add(cache, 1);
  REQUIRE_NOTHROW(cache.flush());
  CHECK(has(cache, 1));  // still known for this run
  fs::remove(file);
  add(cache, 2);
  cache.flush();
  CHECK_FALSE(fs::exists(file));  // writes stay off
}
