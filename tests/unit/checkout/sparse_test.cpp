#include <catch2/catch_test_macros.hpp>

#include <filesystem>

#include "agent/checkout/sparse.h"
#include "agent/util/error.h"
#include "repo_fixture.h"

using namespace agent::checkout;
namespace fs = std::filesystem;

TEST_CASE("sparse checkout writes only the selected folders") {
  test::TempRepo r{"sparse"};
  r.write("svc-a/app.py", "a\n");
  r.write("svc-a/sub/deep.py", "d\n");
  r.write("svc-ab/other.py", "o\n");
  r.write("svc-b/lib.py", "b\n");
  r.write("top.txt", "t\n");
  std::string sha = r.commit("all");
  fs::path dest = r.dir().string() + "-wd";
  fs::remove_all(dest);

  CHECK(checkout_folders(r.git_dir(), sha, dest, {"/svc-a"}) == 2);
  CHECK(fs::exists(dest / "svc-a" / "app.py"));
  CHECK(fs::exists(dest / "svc-a" / "sub" / "deep.py"));
  CHECK_FALSE(fs::exists(dest / "svc-ab"));
  CHECK_FALSE(fs::exists(dest / "svc-b"));
  CHECK_FALSE(fs::exists(dest / "top.txt"));
  fs::remove_all(dest);

  CHECK(checkout_folders(r.git_dir(), sha, dest, {}) == 5);
  CHECK(fs::exists(dest / "top.txt"));
  CHECK_FALSE(fs::exists(dest / ".git"));
  fs::remove_all(dest);

  CHECK_THROWS_AS(checkout_folders(r.git_dir(), "0123456789012345678901234567890123456789", dest, {}),
                  agent::util::RuntimeError);
  fs::remove_all(dest);
}

TEST_CASE("sparse checkout: modes, links, missing folders, unsafe names") {
  test::TempRepo r{"sparse-modes"};
  r.write("svc/run.sh", "#!/bin/sh\n");
  fs::permissions(r.dir() / "svc" / "run.sh", fs::perms::owner_exec, fs::perm_options::add);
  r.write("svc/data.txt", "d\n");
  std::filesystem::create_symlink("/etc/passwd", r.dir() / "svc" / "link");
  std::string sha = r.commit("modes");
  fs::path dest = r.dir().string() + "-wd2";
  fs::remove_all(dest);
  CHECK(checkout_folders(r.git_dir(), sha, dest, {"svc", "not-there"}) == 2);
  CHECK((fs::status(dest / "svc" / "run.sh").permissions() & fs::perms::owner_exec) != fs::perms::none);
  CHECK((fs::status(dest / "svc" / "data.txt").permissions() & fs::perms::owner_exec) == fs::perms::none);
  CHECK_FALSE(fs::exists(fs::symlink_status(dest / "svc" / "link")));
  CHECK_FALSE(fs::exists(dest / "not-there"));
  fs::remove_all(dest);

  // A tree with an entry named ".git" (git mktree writes it; git itself would never check it out).
  std::string blob = r.git("hash-object -w svc/data.txt");
  r.write("mk1", "100644 blob " + blob + "\t.git\n");
  std::string bad_tree = r.git("mktree < mk1");
  r.write("mk2", "040000 tree " + bad_tree + "\tsvc\n");
  std::string top = r.git("mktree < mk2");
  std::string bad = r.git("commit-tree " + top + " -m bad");
  CHECK_THROWS_AS(checkout_folders(r.git_dir(), bad, dest, {}), agent::util::RuntimeError);
  CHECK_FALSE(fs::exists(dest / "svc" / ".git"));
  fs::remove_all(dest);
}
