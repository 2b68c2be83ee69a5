#include <catch2/catch_test_macros.hpp>

#include <map>
#include <mutex>
#include <set>

#include "agent/checkout/git.h"
#include "agent/checkout/history.h"
#include "agent/checkout/oid_set.h"
#include "agent/util/error.h"
#include "repo_fixture.h"

using namespace agent::checkout;

namespace {

git_oid oid_of(int n) {
  git_oid id{};
  for (std::size_t i = 0; i < sizeof id.id; ++i) id.id[i] = static_cast<unsigned char>((n * 2654435761u) >> (i % 4 * 8));
  id.id[0] = static_cast<unsigned char>(n);
  id.id[1] = static_cast<unsigned char>(n >> 8);
  id.id[2] = static_cast<unsigned char>(n >> 16);
  return id;
}

/// path -> commit index of the blobs the walk hands out (the last one per path).
std::map<std::string, std::uint32_t> walk_all(HistoryWalk& walk) {
  std::map<std::string, std::uint32_t> out;
  walk.run([&](HistoryBlob&& b) {
    out[b.path] = b.commit;  // a path changed later maps to its last version's commit
    return true;
  });
  return out;
}

}  // namespace

TEST_CASE("OidSet keeps each id once, grows, and knows the zero id", "[history]") {
  OidSet set;
  for (int i = 1; i <= 50000; ++i) CHECK(set.insert(oid_of(i)));
  for (int i = 1; i <= 50000; ++i) CHECK_FALSE(set.insert(oid_of(i)));
  CHECK(set.size() == 50000);
  CHECK(set.contains(oid_of(123)));
  CHECK_FALSE(set.contains(oid_of(60000)));
  git_oid zero{};
  CHECK_FALSE(set.contains(zero));
  CHECK(set.insert(zero));
  CHECK_FALSE(set.insert(zero));
  CHECK(set.contains(zero));
  CHECK(set.size() == 50001);
}

TEST_CASE("parse_range", "[history]") {
  auto r = parse_range("v1..main");
  CHECK(r.include == std::vector<std::string>{"main"});
  CHECK(r.exclude == std::vector<std::string>{"v1"});
  CHECK(parse_range("v1..").include == std::vector<std::string>{"HEAD"});
  CHECK(parse_range("main").exclude.empty());
  CHECK_THROWS_AS(parse_range("a...b"), agent::util::UsageError);
  CHECK_THROWS_AS(parse_range(".."), agent::util::UsageError);
}

TEST_CASE("a history walk hands out each blob once, at the commit that introduced it", "[history]") {
  test::TempRepo repo("history-walk");
  repo.write("a.txt", "one\n");
  repo.write("dir/b.txt", "two\n");
  const std::string c1 = repo.commit("c1");
  repo.write("dir/b.txt", "two, changed\n");
  repo.write("copy.txt", "one\n");  // the blob of a.txt: not new
  const std::string c2 = repo.commit("c2");
  repo.git("rm -q a.txt");
  repo.write("vendor/x.txt", "vendored\n");
  repo.write("dir/sub/c.txt", "three\n");
  const std::string c3 = repo.commit("c3");
  repo.git("checkout -q -b side " + c1);
  repo.write("side.txt", "side\n");
  const std::string s1 = repo.commit("s1");
  repo.git("checkout -q main");

  auto opened = open_repository(repo.git_dir());
  HistoryWalk walk(opened.get(), {}, [](std::string_view path, bool) { return path != "vendor"; });
  auto blobs = walk_all(walk);
  REQUIRE(walk.commits().size() == 4);
  auto sha_of = [&](std::uint32_t i) { return to_hex(walk.commits()[i]); };
  CHECK(sha_of(blobs.at("a.txt")) == c1);
  CHECK(sha_of(blobs.at("dir/b.txt")) == c2);  // the later version; the first is in c1 too
  CHECK(blobs.count("copy.txt") == 0);
  CHECK(sha_of(blobs.at("dir/sub/c.txt")) == c3);
  CHECK(sha_of(blobs.at("side.txt")) == s1);
  CHECK(blobs.count("vendor/x.txt") == 0);
  CHECK(walk.counters().pruned.load() >= 1);
  // dir/b.txt's first version (c1) and second (c2) are two blobs under one path: the map holds
  // the last one handed out, so count them instead.
  std::size_t count = 0;
  HistoryWalk again(opened.get(), {}, nullptr);
  again.run([&](HistoryBlob&& b) { count += b.path == "dir/b.txt"; return true; });
  CHECK(count == 2);

  auto c = walk.describe(blobs.at("side.txt"));
  CHECK(c.sha == s1);
  CHECK(c.author_name == "T");
  CHECK(c.author_email == "t@example.com");
  CHECK(c.summary == "s1");
  CHECK(c.date.size() == 20);
}

TEST_CASE("a range walk leaves out what the excluded side already holds", "[history]") {
  test::TempRepo repo("history-range");
  repo.write("a.txt", "one\n");
  const std::string c1 = repo.commit("c1");
  repo.write("b.txt", "two\n");
  repo.commit("c2");
  repo.write("a.txt", "one, changed\n");
  repo.write("c.txt", "one\n");  // c1's blob under a new path: not new
  const std::string c3 = repo.commit("c3");
  auto opened = open_repository(repo.git_dir());
  HistoryWalk walk(opened.get(), parse_range(c1 + "..main"), nullptr);
  std::set<std::string> paths;
  walk.run([&](HistoryBlob&& b) { paths.insert(b.path); return true; });
  CHECK(paths == std::set<std::string>{"a.txt", "b.txt"});
  CHECK(walk.commits().size() == 2);
  CHECK_THROWS_AS(HistoryWalk(opened.get(), parse_range("nope..main"), nullptr), agent::util::UsageError);
}

TEST_CASE("read_blobs reads every blob once on several threads and skips large ones unread", "[history]") {
  test::TempRepo repo("history-read");
  for (int i = 0; i < 200; ++i) repo.write("f" + std::to_string(i) + ".txt", "content " + std::to_string(i) + "\n");
  repo.write("big.txt", std::string(5000, 'x'));
  repo.commit("c1");
  auto opened = open_repository(repo.git_dir());
  HistoryWalk walk(opened.get(), {}, nullptr);
  std::mutex m;
  std::map<std::string, std::string> read;
  std::set<std::string> skipped;
  read_blobs(
      repo.git_dir(), 3, 1000, [&](const auto& push) { walk.run(push); },
      [&](unsigned, const HistoryBlob& b, std::string_view data) {
        std::lock_guard lock(m);
        read.emplace(b.path, std::string(data));
      },
      [&](unsigned, const HistoryBlob& b, std::uint64_t size) {
        std::lock_guard lock(m);
        CHECK(size == 5000);
        skipped.insert(b.path);
      });
  CHECK(read.size() == 200);
  CHECK(read.at("f7.txt") == "content 7\n");
  CHECK(skipped == std::set<std::string>{"big.txt"});

  // A consumer's exception stops the readers and reaches the caller.
  HistoryWalk walk2(opened.get(), {}, nullptr);
  CHECK_THROWS_AS(read_blobs(
                      repo.git_dir(), 2, 1000, [&](const auto& push) { walk2.run(push); },
                      [](unsigned, const HistoryBlob&, std::string_view) { throw agent::util::RuntimeError("boom"); },
                      [](unsigned, const HistoryBlob&, std::uint64_t) {}),
                  agent::util::RuntimeError);
}
