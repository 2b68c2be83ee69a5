// PackReader::Cache shared by several reading threads (as the history scan's readers share one):
// every object reads as libgit2 reads it, whatever the cache size and the order each thread reads.
#include <catch2/catch_test_macros.hpp>

#include <algorithm>
#include <atomic>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "agent/checkout/git.h"
#include "agent/checkout/pack_reader.h"
#include "repo_fixture.h"

using namespace agent::checkout;

TEST_CASE("readers sharing one cache read every object as libgit2 does", "[pack_reader][pack_cache]") {
  test::TempRepo repo("pack-cache");
  std::string text;
  for (int i = 0; i < 60; ++i) {
    text += "line " + std::to_string(i) + ": a file that grows, so that its versions are stored as deltas\n";
    repo.write("grow.txt", text);
    repo.write("other/" + std::to_string(i % 7) + ".txt", text.substr(text.size() / 2));
    repo.commit("c" + std::to_string(i));
  }
  repo.git("repack -adq --depth=50 --window=50");

  // What libgit2 reads, per object.
  RepositoryPtr handle = open_repository(repo.git_dir());
  git_odb* raw = nullptr;
  REQUIRE(git_repository_odb(&raw, handle.get()) == 0);
  OdbPtr odb(raw);
  std::vector<git_oid> ids;
  std::vector<std::string> expected;
  std::istringstream lines(repo.git("cat-file --batch-all-objects --batch-check='%(objectname)'"));
  for (std::string line; std::getline(lines, line);) {
    git_oid id;
    REQUIRE(git_oid_fromstr(&id, line.c_str()) == 0);
    git_odb_object* obj = nullptr;
    REQUIRE(git_odb_read(&obj, odb.get(), &id) == 0);
    OdbObjectPtr owned(obj);
    ids.push_back(id);
    expected.emplace_back(static_cast<const char*>(git_odb_object_data(obj)), git_odb_object_size(obj));
  }
  REQUIRE(ids.size() > 200);

  const PackStore store(repo.git_dir());
  REQUIRE(store.packs() == 1);
  for (const std::size_t limit : {std::size_t{0}, std::size_t{4096}, std::size_t{64} << 10, std::size_t{64} << 20}) {
    INFO("cache of " << limit << " bytes");
    auto cache = std::make_shared<PackReader::Cache>(limit);
    std::atomic<std::size_t> wrong{0}, read{0};
    std::vector<std::thread> threads;
    for (unsigned t = 0; t < 4; ++t)
      threads.emplace_back([&, t] {
        std::vector<std::size_t> order(ids.size());
        for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
        if (t == 1) std::reverse(order.begin(), order.end());
        if (t >= 2) std::shuffle(order.begin(), order.end(), std::mt19937(t));
        PackReader reader(store, cache);
        for (int round = 0; round < 2; ++round)
          for (const std::size_t i : order) {
            const auto obj = reader.read(ids[i]);
            if (obj.status != PackReader::Status::ok || obj.data != expected[i]) ++wrong;
            ++read;
          }
      });
    for (auto& t : threads) t.join();
    CHECK(read == ids.size() * 8);
    CHECK(wrong == 0);
  }
}
