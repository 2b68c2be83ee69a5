// The history walk reads commits straight from the packs (TreeSource::commit). A shallow clone's
// boundary commits must still have no parents there, as libgit2 and git give them: everything in
// such a commit's tree is introduced by it, even where the parent's objects are present.
#include <catch2/catch_test_macros.hpp>

#include <map>
#include <set>
#include <string>

#include "agent/checkout/git.h"
#include "agent/checkout/history.h"
#include "repo_fixture.h"

using namespace agent::checkout;

namespace {

std::uint16_t no_class(std::string_view) { return 0; }

/// blob sha -> sha of the commit the walk attributes it to.
std::map<std::string, std::string> attribution(const std::string& git_dir) {
  RepositoryPtr repo = open_repository(git_dir);
  HistoryWalk walk(repo.get(), HistoryRange{}, {});
  std::map<std::string, std::string> out;
  for (const auto& b : walk.run(no_class)) out[to_hex(b.id)] = to_hex(walk.commits()[b.commit]);
  return out;
}

}  // namespace

TEST_CASE("a shallow boundary commit introduces its whole tree, even with its parent present", "[history][shallow]") {
  test::TempRepo repo("shallow-boundary");
  repo.write("a.txt", "first file\n");
  const std::string c1 = repo.commit("one");
  repo.write("b.txt", "second file, version 1\n");
  const std::string c2 = repo.commit("two");
  repo.write("b.txt", "second file, version 2\n");
  const std::string c3 = repo.commit("three");
  repo.git("repack -adq");
  const std::string a = repo.git("rev-parse HEAD:a.txt");
  const std::string b1 = repo.git("rev-parse " + c2 + ":b.txt");
  const std::string b2 = repo.git("rev-parse HEAD:b.txt");

  SECTION("full history: each blob at the commit that added it") {
    auto got = attribution(repo.git_dir());
    CHECK(got == std::map<std::string, std::string>{{a, c1}, {b1, c2}, {b2, c3}});
  }
  SECTION("c2 marked shallow: c1 is not walked and c2 has no parent, so a.txt is c2's") {
    std::ofstream(repo.dir() / ".git" / "shallow") << c2 << "\n";
    auto got = attribution(repo.git_dir());
    CHECK(got == std::map<std::string, std::string>{{a, c2}, {b1, c2}, {b2, c3}});
  }
}

TEST_CASE("a depth-limited clone walks from its boundary", "[history][shallow]") {
  test::TempRepo origin("shallow-origin");
  for (int i = 0; i < 5; ++i) {
    origin.write("f" + std::to_string(i) + ".txt", "file " + std::to_string(i) + "\n");
    origin.commit("c" + std::to_string(i));
  }
  test::TempRepo clone("shallow-clone");
  clone.git("fetch -q --depth 2 file://" + origin.dir().string() + " main");
  clone.git("update-ref refs/heads/main FETCH_HEAD");
  const std::string head = clone.git("rev-parse HEAD");
  const std::string boundary = clone.git("rev-parse HEAD~1");
  auto got = attribution(clone.git_dir());
  REQUIRE(got.size() == 5);
  std::set<std::string> commits;
  for (const auto& [blob, commit] : got) commits.insert(commit);
  CHECK(commits == std::set<std::string>{head, boundary});
  CHECK(got[clone.git("rev-parse HEAD:f4.txt")] == head);
  for (int i = 0; i < 4; ++i) CHECK(got[clone.git("rev-parse HEAD:f" + std::to_string(i) + ".txt")] == boundary);
}
