#include <catch2/catch_test_macros.hpp>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "agent/checkout/git.h"
#include "agent/checkout/history.h"
#include "agent/checkout/oid_set.h"
#include "agent/checkout/pack_order.h"
#include "agent/checkout/partial.h"
#include "agent/checkout/walk_cache.h"
#include "agent/util/fs.h"
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

std::uint16_t no_class(std::string_view) { return 0; }

/// path (where its commit introduced it) -> commit index, for every blob of the walk.
std::map<std::string, std::uint32_t> walk_all(HistoryWalk& walk) {
  std::map<std::string, std::uint32_t> out;
  for (const auto& b : walk.run(no_class)) {
    const std::string path = walk.find_path(b.commit, b.id);
    REQUIRE_FALSE(path.empty());
    auto [it, added] = out.emplace(path, b.commit);
    if (!added) it->second = std::max(it->second, b.commit);  // a path changed later: its last version
  }
  return out;
}

}  // namespace

TEST_CASE("OidMap keeps the last value set per id", "[history]") {
  OidMap map;
  for (int i = 1; i <= 3000; ++i) map.set(oid_of(i), {static_cast<std::uint32_t>(i), 1});
  for (int i = 1; i <= 3000; ++i) map.set(oid_of(i), {static_cast<std::uint32_t>(i / 2), 2});
  CHECK(map.size() == 3000);
  std::size_t seen = 0;
  map.for_each([&](const git_oid& id, OidMap::Value v) {
    ++seen;
    const int i = id.id[0] | (id.id[1] << 8) | (id.id[2] << 16);
    CHECK(v.commit == static_cast<std::uint32_t>(i / 2));
    CHECK(v.path_class == 2);
  });
  CHECK(seen == 3000);
}

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
  HistoryWalk again(opened.get(), {}, nullptr);
  const auto all = again.run(no_class);
  CHECK(all.size() == 6);  // a, b (twice), c, side, vendor/x
  std::size_t count = 0;
  for (const auto& b : all) count += again.find_path(b.commit, b.id) == "dir/b.txt";
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
  for (const auto& b : walk.run(no_class)) paths.insert(walk.find_path(b.commit, b.id));
  CHECK(paths == std::set<std::string>{"a.txt", "b.txt"});
  CHECK(walk.commits().size() == 2);
  CHECK_THROWS_AS(HistoryWalk(opened.get(), parse_range("nope..main"), nullptr), agent::util::UsageError);
}

TEST_CASE("read_blobs reads every blob once on several threads, large ones unread, missing ones reported", "[history]") {
  test::TempRepo repo("history-read");
  for (int i = 0; i < 200; ++i) repo.write("f" + std::to_string(i) + ".txt", "content " + std::to_string(i) + "\n");
  repo.write("big.txt", std::string(5000, 'x'));
  repo.commit("c1");
  auto opened = open_repository(repo.git_dir());
  HistoryWalk walk(opened.get(), {}, nullptr);
  struct Named {
    git_oid id;
    std::string path;
  };
  std::vector<Named> blobs;
  for (const auto& b : walk.run(no_class)) blobs.push_back({b.id, walk.find_path(b.commit, b.id)});
  git_oid missing{};
  missing.id[0] = 0x42;
  blobs.push_back(Named{missing, "gone.txt"});
  PackOrder order(repo.git_dir());  // loose objects only here: every key sorts last
  CHECK(order.key(blobs.front().id) == ~std::uint64_t{0});

  std::mutex m;
  std::map<std::string, std::string> read;
  std::set<std::string> large, bad;
  BlobReader reader;
  reader.consume = [&](unsigned, std::size_t i, std::string_view data) {
    std::lock_guard lock(m);
    CHECK(read.emplace(blobs[i].path, std::string(data)).second);
  };
  reader.too_large = [&](unsigned, std::size_t i, std::uint64_t size) {
    std::lock_guard lock(m);
    CHECK(size == 5000);
    large.insert(blobs[i].path);
  };
  reader.unreadable = [&](unsigned, std::size_t i, const std::string&) {
    std::lock_guard lock(m);
    bad.insert(blobs[i].path);
  };
  read_blobs(repo.git_dir(), 3, 1000, blobs.size(), [&](std::size_t i) -> const git_oid& { return blobs[i].id; }, reader);
  CHECK(read.size() == 200);
  CHECK(read.at("f7.txt") == "content 7\n");
  CHECK(large == std::set<std::string>{"big.txt"});
  CHECK(bad == std::set<std::string>{"gone.txt"});

  // A callback's exception stops the readers and reaches the caller.
  reader.consume = [](unsigned, std::size_t, std::string_view) { throw agent::util::RuntimeError("boom"); };
  CHECK_THROWS_AS(read_blobs(repo.git_dir(), 2, 1000, blobs.size(),
                             [&](std::size_t i) -> const git_oid& { return blobs[i].id; }, reader),
                  agent::util::RuntimeError);
}

TEST_CASE("read_blob_stream reads blobs handed out while it runs, and a failure wakes a waiting source", "[history]") {
  test::TempRepo repo("history-stream");
  for (int i = 0; i < 40; ++i) repo.write("f" + std::to_string(i) + ".txt", "streamed " + std::to_string(i) + "\n");
  repo.commit("c1");
  auto opened = open_repository(repo.git_dir());
  HistoryWalk walk(opened.get(), {}, nullptr);
  std::vector<git_oid> ids;
  for (const auto& b : walk.run(no_class)) ids.push_back(b.id);
  REQUIRE(ids.size() == 40);

  // A producer hands the ids out one at a time from another thread; readers wait for each.
  std::mutex m;
  std::condition_variable cv;
  std::size_t published = 0, taken = 0;
  bool closed = false, aborted = false;
  auto take = [&](std::vector<std::pair<std::size_t, git_oid>>& chunk) {
    chunk.clear();
    std::unique_lock lock(m);
    cv.wait(lock, [&] { return aborted || taken < published || closed; });
    if (aborted || taken == published) return false;
    chunk.emplace_back(taken, ids[taken]);
    ++taken;
    return true;
  };
  std::set<std::string> read;
  BlobReader reader;
  reader.consume = [&](unsigned, std::size_t, std::string_view data) {
    std::lock_guard lock(m);
    read.insert(std::string(data));
  };
  reader.too_large = [](unsigned, std::size_t, std::uint64_t) {};
  reader.unreadable = [](unsigned, std::size_t, const std::string&) {};
  std::thread producer([&] {
    for (std::size_t i = 0; i < ids.size(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      std::lock_guard lock(m);
      ++published;
      cv.notify_all();
    }
    std::lock_guard lock(m);
    closed = true;
    cv.notify_all();
  });
  read_blob_stream(repo.git_dir(), 3, 1000, take, reader);
  producer.join();
  CHECK(read.size() == 40);
  CHECK(read.contains("streamed 39\n"));

  // The first blob's callback throws while the source has nothing more and never closes: only
  // on_failure wakes the other readers, and the exception reaches the caller.
  {
    std::lock_guard lock(m);
    published = 1, taken = 0, closed = false;
  }
  reader.consume = [](unsigned, std::size_t, std::string_view) { throw agent::util::RuntimeError("boom"); };
  bool woken = false;
  CHECK_THROWS_AS(read_blob_stream(repo.git_dir(), 3, 1000, take, reader, [&] {
                    std::lock_guard lock(m);
                    aborted = woken = true;
                    cv.notify_all();
                  }),
                  agent::util::RuntimeError);
  CHECK(woken);
}

TEST_CASE("pack order follows the pack index offsets", "[history]") {
  test::TempRepo repo("history-pack");
  for (int i = 0; i < 50; ++i) repo.write("f" + std::to_string(i) + ".txt", std::string(100 + i, 'a' + i % 26));
  repo.commit("c1");
  repo.git("gc -q");
  auto opened = open_repository(repo.git_dir());
  HistoryWalk walk(opened.get(), {}, nullptr);
  std::vector<git_oid> ids;
  for (const auto& b : walk.run(no_class)) ids.push_back(b.id);
  PackOrder order(repo.git_dir());
  REQUIRE(order.packs() == 1);
  std::set<std::uint64_t> keys;
  for (const auto& id : ids) {
    const std::uint64_t key = order.key(id);
    CHECK(key < (std::uint64_t{1} << 40));  // pack 0, a real offset
    CHECK(key >= 12);                        // after the pack header
    keys.insert(key);
  }
  CHECK(keys.size() == ids.size());
  // Offsets agree with git's own index.
  const std::string first = to_hex(ids.front());
  const std::string verify = repo.git("verify-pack -v " + repo.git_dir() + "/objects/pack/*.idx");
  const auto at = verify.find(first);
  REQUIRE(at != std::string::npos);
  std::istringstream line(verify.substr(at));
  std::string sha, type;
  std::uint64_t size = 0, packed = 0, offset = 0;
  line >> sha >> type >> size >> packed >> offset;
  CHECK(order.key(ids.front()) == offset);
}

TEST_CASE("a saved walk round-trips, and a damaged or foreign one is not trusted", "[history]") {
  const auto dir = std::filesystem::temp_directory_path() / ("jit-walk-cache-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  SavedWalk walk;
  walk.commits = {oid_of(1), oid_of(2)};
  walk.blobs = {WalkedBlob{oid_of(3), 1, 0}, WalkedBlob{oid_of(4), 0, 1}};
  walk.class_paths = {"", ".npmrc"};
  walk.class_keys = {"", "7,"};
  save_walk(dir, "key one", walk);
  auto loaded = load_walk(dir, "key one");
  REQUIRE(loaded);
  CHECK(loaded->commits.size() == 2);
  CHECK(git_oid_equal(&loaded->commits[1], &walk.commits[1]));
  REQUIRE(loaded->blobs.size() == 2);
  CHECK(git_oid_equal(&loaded->blobs[1].id, &walk.blobs[1].id));
  CHECK(loaded->blobs[0].commit == 1);
  CHECK(loaded->blobs[1].path_class == 1);
  CHECK(loaded->class_paths == walk.class_paths);
  CHECK(loaded->class_keys == walk.class_keys);
  CHECK_FALSE(load_walk(dir, "another key"));

  // One flipped byte anywhere: the checksum refuses the file.
  std::filesystem::path file;
  for (const auto& e : std::filesystem::directory_iterator(dir)) file = e.path();
  std::string bytes = agent::util::read_file(file);
  bytes[20] = static_cast<char>(bytes[20] ^ 1);
  agent::util::write_file_atomic(file, bytes);
  CHECK_FALSE(load_walk(dir, "key one"));

  // At most four walks are kept.
  for (int i = 0; i < 6; ++i) save_walk(dir, "key " + std::to_string(i), walk);
  std::size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) files += e.is_regular_file();
  CHECK(files == 4);
  CHECK(load_walk(dir, "key 5"));
  std::filesystem::remove_all(dir);
}

namespace {

/// A tree of `levels` folders d0..d9, each the same subtree, over ten files f0..f9.txt of one blob;
/// returns the commit (10^levels folders at the bottom, 10^(levels+1) file paths).
std::string tree_bomb_commit(const test::TempRepo& repo, int levels) {
  repo.write("leaf.txt", "leaf\n");
  const std::string blob = repo.git("hash-object -w leaf.txt");
  std::string listing;
  for (int i = 0; i < 10; ++i) listing += "100644 blob " + blob + "\tf" + std::to_string(i) + ".txt\n";
  std::string tree;
  for (int level = 0; level <= levels; ++level) {
    repo.write("tree.txt", listing);
    tree = repo.git("mktree < tree.txt");
    listing.clear();
    for (int i = 0; i < 10; ++i) listing += "040000 tree " + tree + "\td" + std::to_string(i) + "\n";
  }
  repo.write("top.txt", "040000 tree " + tree + "\tbomb\n");
  const std::string top = repo.git("mktree < top.txt");
  return repo.git("commit-tree " + top + " -m bomb");
}

}  // namespace

TEST_CASE("a tree bomb is walked once per distinct subtree, and counted without expanding it", "[history]") {
  test::TempRepo repo("history-bomb");
  const std::string head = tree_bomb_commit(repo, 7);  // 10^8 file paths, 10 objects
  repo.git("update-ref refs/heads/main " + head);
  auto opened = open_repository(repo.git_dir());
  HistoryWalk walk(opened.get(), {}, nullptr);
  const auto blobs = walk.run(no_class);
  REQUIRE(blobs.size() == 1);
  CHECK(walk.counters().trees.load() <= 20);
  CHECK(walk.find_path(blobs[0].commit, blobs[0].id) == "bomb/d0/d0/d0/d0/d0/d0/d0/f0.txt");
  // 1 (bomb) + 10 + 10^2 + ... folders and 10^8 files, counted in one pass; cut at the limit.
  CHECK(expanded_tree_size(opened.get(), head, 1'000'000'000) == 111'111'111);
  CHECK(expanded_tree_size(opened.get(), head, 1000) > 1000);
}

TEST_CASE("a subtree pruned at one path is still walked at another", "[history]") {
  test::TempRepo repo("history-pruned-copy");
  repo.write("d0/a.txt", "a\n");
  repo.write("d0/b.txt", "b\n");
  repo.write("d1/a.txt", "a\n");
  repo.write("d1/b.txt", "b\n");
  repo.commit("two copies of one folder");
  auto opened = open_repository(repo.git_dir());
  HistoryWalk walk(opened.get(), {}, [](std::string_view path, bool) { return path != "d0/b.txt"; });
  const auto blobs = walk.run(no_class);
  CHECK(blobs.size() == 2);
  std::set<std::string> paths;
  for (const auto& b : blobs) paths.insert(walk.find_path(b.commit, b.id));
  CHECK(paths == std::set<std::string>{"d0/a.txt", "d1/b.txt"});
}
