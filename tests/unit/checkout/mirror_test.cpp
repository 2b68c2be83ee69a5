#include <catch2/catch_test_macros.hpp>

#include <filesystem>
#include <fstream>

#include "agent/checkout/fetch.h"
#include "agent/checkout/git.h"
#include "agent/checkout/mirror.h"
#include "agent/checkout/shallow.h"
#include "repo_fixture.h"

using namespace agent::checkout;
namespace fs = std::filesystem;

namespace {

// A mirror made by open_mirror, filled with a local repository's objects by the git CLI.
struct FilledMirror {
  test::TempRepo src{"mirror-src"};
  fs::path dir;
  std::string url = "https://gl.example/g/p.git";
  std::string c1, c2, c3;
  FilledMirror() {
    src.write("a.txt", "1\n");
    c1 = src.commit("one");
    src.write("a.txt", "2\n");
    c2 = src.commit("two");
    src.write("a.txt", "3\n");
    c3 = src.commit("three");
    dir = src.dir().string() + "-mirror.git";
    fs::remove_all(dir);
    Mirror m = open_mirror(dir, url);
    REQUIRE(m.state == CacheState::cold);
    src.git("push -q '" + dir.string() + "' main:refs/heads/main");
  }
  ~FilledMirror() { fs::remove_all(dir); }
};

}  // namespace

TEST_CASE("a healthy mirror passes, a stale or broken one is named") {
  FilledMirror f;
  CHECK(check_mirror(f.dir, f.url).empty());
  CHECK(open_mirror(f.dir, f.url).state == CacheState::warm);
  CHECK(check_mirror(f.dir, "https://gl.example/g/other.git").find("another remote") != std::string::npos);
  CHECK(check_mirror(f.dir.string() + "-nope", f.url) == "not a folder");

  // A ref to a commit that is not there.
  std::ofstream(f.dir / "refs" / "heads" / "ghost") << "1234567890123456789012345678901234567890\n";
  CHECK(check_mirror(f.dir, f.url).find("refs/heads/ghost") != std::string::npos);
  Mirror m = open_mirror(f.dir, f.url);
  CHECK(m.state == CacheState::rebuilt);
  CHECK(m.rebuild_reason.find("refs/heads/ghost") != std::string::npos);
  CHECK(check_mirror(f.dir, f.url).empty());  // rebuilt empty and clean
  CHECK_FALSE(fs::exists(f.dir / "refs" / "heads" / "ghost"));
}

TEST_CASE("a shallow list naming a missing commit is stale") {
  FilledMirror f;
  std::ofstream(f.dir / "shallow") << "1234567890123456789012345678901234567890\n";
  CHECK(check_mirror(f.dir, f.url).find("shallow list") != std::string::npos);
}

TEST_CASE("the remembered depth lives in the mirror") {
  FilledMirror f;
  RepositoryPtr repo = open_repository(f.dir.string());
  CHECK(remembered_depth(repo.get()) == 0);
  remember_depth(repo.get(), 80);
  RepositoryPtr again = open_repository(f.dir.string());
  CHECK(remembered_depth(again.get()) == 80);
}

TEST_CASE("shallow list normalisation keeps only commits that lack a parent") {
  FilledMirror f;
  RepositoryPtr repo = open_repository(f.dir.string());
  git_oid c2 = parse_oid(f.c2), c3 = parse_oid(f.c3);
  // c3's parent c2 is present: not shallow. A commit whose parent is gone stays.
  write_shallow_file(f.dir, {c3});
  normalise_shallow(repo.get(), f.dir);
  CHECK(read_shallow_file(f.dir).empty());
  CHECK_FALSE(fs::exists(f.dir / "shallow"));
  // Remove c1 (c2's parent) from the object database by rewriting the mirror without it.
  fs::path loose = f.dir / "objects" / f.c1.substr(0, 2) / f.c1.substr(2);
  if (fs::exists(loose)) {
    fs::remove(loose);
    normalise_shallow(repo.get(), f.dir, {c2, c3});
    auto list = read_shallow_file(f.dir);
    REQUIRE(list.size() == 1);
    CHECK(to_hex(list[0]) == f.c2);
  }
}

TEST_CASE("the shallow mask cuts visible history to at most 19 commits and puts it back") {
  test::TempRepo src{"mask-src"};
  for (int i = 0; i < 30; ++i) {
    src.write("a.txt", std::to_string(i) + "\n");
    src.commit("c" + std::to_string(i));
  }
  RepositoryPtr repo = open_repository(src.git_dir());
  fs::path git_dir = src.git_dir();
  {
    ShallowMask mask(repo.get(), git_dir, true);
    CHECK(mask.masked() >= 1);
    CHECK(read_shallow_file(git_dir).size() == mask.masked());
    // What libgit2 will offer as haves: the commits still visible from the refs.
    RepositoryPtr view = open_repository(git_dir.string());
    git_revwalk* raw = nullptr;
    REQUIRE(git_revwalk_new(&raw, view.get()) == 0);
    RevwalkPtr walk(raw);
    git_revwalk_push_glob(walk.get(), "refs/*");
    int visible = 0;
    git_oid oid{};
    while (git_revwalk_next(&oid, walk.get()) == 0) ++visible;
    CHECK(visible <= 19);
    CHECK(visible >= 10);
    // Nothing was fetched: finishing restores a complete history.
    CHECK(mask.finish() == mask.masked());
  }
  CHECK_FALSE(fs::exists(git_dir / "shallow"));
  {
    ShallowMask mask(repo.get(), git_dir, true);
    CHECK(fs::exists(git_dir / "shallow"));
  }  // not finished (fetch failed): the original (no list) comes back
  CHECK_FALSE(fs::exists(git_dir / "shallow"));
}

TEST_CASE("many packs are compacted into one that still holds every reachable object") {
  test::TempRepo src{"compact-src"};
  fs::path dir = src.dir().string() + "-mirror.git";
  fs::remove_all(dir);
  Mirror m = open_mirror(dir, "https://gl.example/g/p.git");
  std::string last;
  for (int i = 0; i < 6; ++i) {
    src.write("f" + std::to_string(i) + ".txt", std::string(100, static_cast<char>('a' + i)));
    last = src.commit("c" + std::to_string(i));
    // One pack per commit, as one fetch per pipeline would leave.
    src.write("objs", src.git("rev-list --objects " + (i == 0 ? last : last + "^.." + last)) + "\n");
    src.git("pack-objects -q '" + (dir / "objects" / "pack" / "pack").string() + "' < objs");
  }
  src.git("--git-dir='" + dir.string() + "' update-ref refs/heads/main " + last);
  auto count_packs = [&] {
    int n = 0;
    for (const auto& e : fs::directory_iterator(dir / "objects" / "pack")) n += e.path().extension() == ".pack";
    return n;
  };
  REQUIRE(count_packs() == 6);
  RepositoryPtr repo = open_repository(dir.string());
  CHECK_FALSE(compact_packs(repo.get(), dir, 10, false));
  CHECK(compact_packs(repo.get(), dir, 4, false));
  CHECK(count_packs() == 1);
  CHECK(check_mirror(dir, "https://gl.example/g/p.git").empty());
  RepositoryPtr fresh = open_repository(dir.string());
  CHECK(lookup_commit(fresh.get(), "refs/heads/main"));
  fs::remove_all(dir);
}
