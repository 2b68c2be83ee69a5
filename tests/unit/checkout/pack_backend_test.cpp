// The PackReader backend put in front of libgit2's own (add_pack_backend): every object reads
// the same through it, loose objects and objects of packs added later still read (libgit2's own
// backends answer), and a commit-graph walk gives the same commits in the same order.
#include <catch2/catch_test_macros.hpp>

#include <sstream>
#include <string>
#include <vector>

#include "agent/checkout/git.h"
#include "agent/checkout/pack_backend.h"
#include "repo_fixture.h"

using namespace agent::checkout;

namespace {

std::vector<git_oid> all_objects(const test::TempRepo& repo) {
  std::vector<git_oid> out;
  std::istringstream lines(repo.git("cat-file --batch-all-objects --batch-check='%(objectname)'"));
  for (std::string line; std::getline(lines, line);) {
    git_oid id;
    REQUIRE(git_oid_fromstr(&id, line.c_str()) == 0);
    out.push_back(id);
  }
  return out;
}

std::vector<std::string> walk(git_repository* repo) {
  git_revwalk* raw = nullptr;
  REQUIRE(git_revwalk_new(&raw, repo) == 0);
  RevwalkPtr w(raw);
  git_revwalk_sorting(w.get(), GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE);
  REQUIRE(git_revwalk_push_glob(w.get(), "refs/*") == 0);
  std::vector<std::string> out;
  for (git_oid id; git_revwalk_next(&id, w.get()) == 0;) out.push_back(to_hex(id));
  return out;
}

}  // namespace

TEST_CASE("objects read through the pack backend are libgit2's, loose and later ones included", "[pack_backend]") {
  test::TempRepo repo("pack-backend");
  std::string text;
  for (int i = 0; i < 40; ++i) {
    if (i == 21) repo.git("checkout -q -b side HEAD~3");
    if (i == 31) repo.git("checkout -q main");
    const bool side = i > 20 && i <= 30;
    text += "line " + std::to_string(i) + " of a file that grows, so that its versions are deltas\n";
    repo.write(side ? "side.txt" : "grow.txt", text);
    repo.write((side ? "side/n" : "dir/n") + std::to_string(i % 5) + ".txt", std::to_string(i));
    repo.commit("c" + std::to_string(i));
  }
  repo.git("merge -q --no-edit side");
  repo.git("repack -adq");
  repo.write("loose.txt", "only loose\n");
  repo.commit("loose commit");

  RepositoryPtr plain = open_repository(repo.git_dir());
  RepositoryPtr fast = open_repository(repo.git_dir());
  REQUIRE(add_pack_backend(fast.get()));
  // Objects of a pack made after the backend mapped the packs: libgit2 finds them.
  repo.write("later.txt", "after the backend\n");
  repo.commit("later");
  repo.git("repack -dq");

  git_odb* a_raw = nullptr;
  git_odb* b_raw = nullptr;
  REQUIRE(git_repository_odb(&a_raw, plain.get()) == 0);
  REQUIRE(git_repository_odb(&b_raw, fast.get()) == 0);
  OdbPtr a(a_raw), b(b_raw);
  git_odb_refresh(a.get());
  git_odb_refresh(b.get());
  const auto ids = all_objects(repo);
  REQUIRE(ids.size() > 150);
  for (const auto& id : ids) {
    INFO(to_hex(id));
    git_odb_object* x = nullptr;
    git_odb_object* y = nullptr;
    REQUIRE(git_odb_read(&x, a.get(), &id) == 0);
    OdbObjectPtr ox(x);
    REQUIRE(git_odb_read(&y, b.get(), &id) == 0);
    OdbObjectPtr oy(y);
    REQUIRE(git_odb_object_type(x) == git_odb_object_type(y));
    REQUIRE(std::string_view(static_cast<const char*>(git_odb_object_data(x)), git_odb_object_size(x)) ==
            std::string_view(static_cast<const char*>(git_odb_object_data(y)), git_odb_object_size(y)));
  }
  const git_oid nowhere = [] {
    git_oid id;
    git_oid_fromstr(&id, "0123456789abcdef0123456789abcdef01234567");
    return id;
  }();
  git_odb_object* none = nullptr;
  CHECK(git_odb_read(&none, b.get(), &nowhere) == GIT_ENOTFOUND);
  CHECK(walk(fast.get()) == walk(plain.get()));
  CHECK(walk(fast.get()).size() == 43);
}

TEST_CASE("a repository without packs gets no backend", "[pack_backend]") {
  test::TempRepo repo("pack-backend-loose");
  repo.write("a.txt", "a\n");
  repo.commit("one");
  RepositoryPtr handle = open_repository(repo.git_dir());
  CHECK_FALSE(add_pack_backend(handle.get()));
}
