#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <algorithm>
#include <functional>
#include <numeric>

#include "agent/job/shard.h"
#include "agent/util/error.h"

using namespace agent::job;
using agent::util::Environment;
using Catch::Matchers::ContainsSubstring;

namespace {
std::string usage_message(const std::function<void()>& f) {
  try {
    f();
  } catch (const agent::util::UsageError& e) {
    return e.what();
  }
  return "no error";
}

agent::controls::ScanInput input_of(const std::vector<std::pair<std::string, std::uint64_t>>& files,
                                    std::vector<std::string> folders) {
  agent::controls::ScanInput in;
  for (const auto& [p, size] : files) in.files.push_back({p, "/tmp/x/" + p, size});
  in.folders = std::move(folders);
  return in;
}
}  // namespace

TEST_CASE("shard I/N is parsed and validated") {
  CHECK(parse_shard("2/3", "--shard") == Shard{2, 3});
  CHECK(parse_shard("1/1", "--shard") == Shard{1, 1});
  CHECK_FALSE(parse_shard("1/1", "--shard").sharded());
  for (const char* bad : {"0/3", "4/3", "3", "/3", "1/", "a/b", "1/0", "-1/3", "1/3x", " 1/3", "2/1001"})
    CHECK_THAT(usage_message([bad] { parse_shard(bad, "--shard"); }), ContainsSubstring("--shard"));
}

TEST_CASE("the shard comes from --shard, else from GitLab's CI_NODE_INDEX/CI_NODE_TOTAL") {
  auto env = Environment::from_map({{"CI_NODE_INDEX", "3"}, {"CI_NODE_TOTAL", "4"}});
  CHECK(shard_from("", env) == Shard{3, 4});
  CHECK(shard_from("1/2", env) == Shard{1, 2});  // the flag wins
  CHECK(shard_from("", Environment::from_map({})) == Shard{1, 1});
  CHECK(shard_from("", Environment::from_map({{"CI_NODE_TOTAL", "1"}})) == Shard{1, 1});  // no parallel:
  CHECK_THAT(usage_message([] { shard_from("", Environment::from_map({{"CI_NODE_INDEX", "5"}, {"CI_NODE_TOTAL", "4"}})); }),
             ContainsSubstring("CI_NODE_INDEX/CI_NODE_TOTAL 5/4"));
  CHECK_THAT(usage_message([] { shard_from("", Environment::from_map({{"CI_NODE_TOTAL", "4"}})); }),
             ContainsSubstring("both must be set"));
}

TEST_CASE("assignment is greedy by size, largest first, ties by key, to the least loaded shard") {
  std::vector<ShardItem> items = {{"a", 10}, {"b", 50}, {"c", 30}, {"d", 30}, {"e", 5}, {"f", 5}};
  auto s = assign_shards(items, 3);
  // b(50)->1, c(30)->2, d(30)->3, a(10)->2 (loads 50,30,30: first least is 2), e(5)->3, f(5)->3 (50,40,35->3)
  CHECK(s == std::vector<int>{2, 1, 2, 3, 3, 3});
  CHECK(assign_shards(items, 1) == std::vector<int>(6, 1));
  // The same items in another order get the same shards.
  std::vector<ShardItem> reversed(items.rbegin(), items.rend());
  auto r = assign_shards(reversed, 3);
  std::reverse(r.begin(), r.end());
  CHECK(r == s);
}

TEST_CASE("assignment is balanced: loads differ by at most the largest item") {
  std::vector<ShardItem> items;
  for (int i = 0; i < 200; ++i) items.push_back({"f" + std::to_string(i), static_cast<std::uint64_t>((i * 7919) % 1000 + 1)});
  for (int n : {2, 3, 5, 8}) {
    auto s = assign_shards(items, n);
    std::vector<std::uint64_t> load(n, 0);
    for (std::size_t i = 0; i < items.size(); ++i) load[s[i] - 1] += items[i].size;
    auto [lo, hi] = std::minmax_element(load.begin(), load.end());
    CHECK(*hi - *lo <= 1000);
  }
}

TEST_CASE("a file's folder is the longest configured folder holding it") {
  std::vector<std::string> folders = {"svc", "svc/api", "libs"};
  CHECK(folder_of("svc/api/main.py", folders) == "svc/api");
  CHECK(folder_of("svc/web.py", folders) == "svc");
  CHECK_FALSE(folder_of("svcx/a.py", folders));
  CHECK_FALSE(folder_of("README.md", folders));
  CHECK(folder_of("README.md", {""}) == "");
}

TEST_CASE("a plan keeps folders whole and every file in exactly one shard") {
  std::vector<ShardItem> files = {{"a/1", 100}, {"a/2", 100}, {"b/1", 150}, {"c/1", 10}, {"c/2", 10}};
  std::vector<std::string> folders = {"a", "b", "c"};
  std::vector<ShardPlan> plans;
  for (int i = 1; i <= 3; ++i) plans.emplace_back(Shard{i, 3}, files, folders);
  CHECK(plans[0].shard_of_key("a") == 1);  // 200
  CHECK(plans[0].shard_of_key("b") == 2);  // 150
  CHECK(plans[0].shard_of_key("c") == 3);  // 20
  for (const auto& f : files) {
    int owners = 0;
    for (const auto& p : plans) owners += p.mine(f.key) ? 1 : 0;
    CHECK(owners == 1);
  }
  // A path no item named (e.g. only an intermediate commit touched it): one stable owner.
  for (std::string path : {"z/new.txt", "gone.py"}) {
    int owners = 0;
    for (const auto& p : plans) owners += p.mine(path) ? 1 : 0;
    CHECK(owners == 1);
    CHECK(plans[0].shard_of_key(plans[0].key_of(path)) == plans[2].shard_of_key(plans[2].key_of(path)));
  }
  ShardPlan whole;
  CHECK(whole.mine("anything"));
}

TEST_CASE("restrict_to_shard without folders: files split, external tools whole on shard 1") {
  auto all = input_of({{"a", 5}, {"b", 4}, {"c", 3}, {"d", 2}}, {});
  agent::findings::ScanResult out1, out2;
  out1.stats.skipped_excluded = out2.stats.skipped_excluded = 7;
  out1.warnings = out2.warnings = {"listing warning"};
  auto in1 = all, in2 = all;
  auto tools1 = restrict_to_shard({1, 2}, in1, out1);
  auto tools2 = restrict_to_shard({2, 2}, in2, out2);
  CHECK(in1.files.size() + in2.files.size() == 4);
  REQUIRE(tools1);
  CHECK(tools1->files.size() == 4);
  CHECK_FALSE(tools2);
  CHECK(out1.stats.skipped_excluded == 7);  // the listing's counters: shard 1 only
  CHECK(out2.stats.skipped_excluded == 0);
  CHECK(out2.warnings.empty());
  auto unsharded = all;
  agent::findings::ScanResult out;
  auto tools = restrict_to_shard({1, 1}, unsharded, out);
  CHECK(unsharded.files.size() == 4);
  REQUIRE(tools);
  CHECK(tools->files.size() == 4);
}

TEST_CASE("restrict_to_shard with folders: each shard its folders, none when it has none") {
  auto all = input_of({{"a/x", 10}, {"b/y", 9}}, {"a", "b"});
  std::vector<std::string> seen;
  for (int i = 1; i <= 3; ++i) {
    auto in = all;
    agent::findings::ScanResult out;
    auto tools = restrict_to_shard({i, 3}, in, out);
    if (i == 3) {
      CHECK(in.files.empty());
      CHECK_FALSE(tools);  // an empty folder list would mean the root
      continue;
    }
    REQUIRE(tools);
    REQUIRE(tools->folders.size() == 1);
    REQUIRE(in.files.size() == 1);
    CHECK(in.files[0].path.starts_with(tools->folders[0] + "/"));
    seen.push_back(tools->folders[0]);
  }
  CHECK(seen == std::vector<std::string>{"a", "b"});
}
