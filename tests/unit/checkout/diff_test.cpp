#include <catch2/catch_test_macros.hpp>

#include <algorithm>
#include <filesystem>
#include <optional>

#include "agent/checkout/diff.h"
#include "agent/checkout/git.h"
#include "repo_fixture.h"

using namespace agent::checkout;

namespace {

struct MrRepo {
  test::TempRepo repo{"diff"};
  std::string base, c1, c2, c3, head, main_tip;
  MrRepo() {
    repo.write("svc-a/app.py", "import os\nprint('a')\n");
    repo.write("svc-b/lib.py", "x = 1\n");
    repo.write("README.md", "hello\n");
    base = repo.commit("base");
    repo.git("checkout -q -b feature");
    // c1 adds a key, c2 removes it again, c3 renames a file and edits svc-b.
    repo.write("svc-a/app.py", "import os\nKEY = 'AKIAIOSFODNN7EXAMPLE'\nprint('a')\n");
    c1 = repo.commit("add key");
    repo.write("svc-a/app.py", "import os\nKEY = os.environ['KEY']\nprint('a')\nprint('b')\n");
    c2 = repo.commit("remove key");
    repo.git("mv svc-b/lib.py svc-b/library.py");
    repo.write("svc-b/library.py", "x = 1\ny = 2\n");
    repo.write("svc-b/blob.bin", std::string("\0\1\2\3binary", 10));
    c3 = repo.commit("rename");
    head = c3;
    repo.git("checkout -q main");
    repo.write("README.md", "hello\nworld\n");
    main_tip = repo.commit("main moves on");
  }
};

const AddedText* find(const std::vector<AddedText>& v, const std::string& commit, const std::string& path) {
  auto it = std::find_if(v.begin(), v.end(), [&](const AddedText& t) { return t.commit == commit && t.path == path; });
  return it == v.end() ? nullptr : &*it;
}

}  // namespace

TEST_CASE("merge base, commits between and the final diff") {
  MrRepo m;
  RepositoryPtr repo = open_repository(m.repo.git_dir());
  REQUIRE(merge_base(repo.get(), m.head, m.main_tip) == m.base);
  auto commits = commits_between(repo.get(), m.base, m.head);
  CHECK(commits == std::vector<std::string>{m.c1, m.c2, m.c3});
  CHECK(commits_between(repo.get(), m.base, m.head, 2) == std::vector<std::string>{m.c2, m.c3});

  auto files = diff_files(repo.get(), m.base, m.head);
  REQUIRE(files.size() == 3);
  auto app = std::find_if(files.begin(), files.end(), [](const FileDiff& f) { return f.new_path == "svc-a/app.py"; });
  REQUIRE(app != files.end());
  CHECK(app->status == 'M');
  // Final version: line 2 replaced, line 4 added; the key of c1 is not in the final diff.
  CHECK(app->adds_line(2));
  CHECK(app->adds_line(4));
  CHECK_FALSE(app->adds_line(1));
  CHECK_FALSE(app->adds_line(3));
  auto lib = std::find_if(files.begin(), files.end(), [](const FileDiff& f) { return f.new_path == "svc-b/library.py"; });
  REQUIRE(lib != files.end());
  CHECK(lib->status == 'R');
  CHECK(lib->old_path == "svc-b/lib.py");
  REQUIRE(lib->added.size() == 1);
  CHECK(lib->added[0].start == 2);
  CHECK(lib->added[0].count == 1);
  auto bin = std::find_if(files.begin(), files.end(), [](const FileDiff& f) { return f.new_path == "svc-b/blob.bin"; });
  REQUIRE(bin != files.end());
  CHECK(bin->binary);
  CHECK(bin->added.empty());
}

TEST_CASE("every commit's added lines: a key added then removed is still seen") {
  MrRepo m;
  RepositoryPtr repo = open_repository(m.repo.git_dir());
  auto per_commit = added_lines_per_commit(repo.get(), m.base, m.head);
  const AddedText* key = find(per_commit, m.c1, "svc-a/app.py");
  REQUIRE(key);
  CHECK(key->text == "KEY = 'AKIAIOSFODNN7EXAMPLE'\n");
  CHECK(key->lines == std::vector<int>{2});
  CHECK(key->line_at(1) == 2);
  CHECK(key->line_at(2) == 0);
  const AddedText* fix = find(per_commit, m.c2, "svc-a/app.py");
  REQUIRE(fix);
  CHECK(fix->text == "KEY = os.environ['KEY']\nprint('b')\n");
  CHECK(fix->lines == std::vector<int>{2, 4});
  // Binary files carry no text.
  CHECK_FALSE(find(per_commit, m.c3, "svc-b/blob.bin"));
  // Only the selected folder.
  auto only_b = added_lines_per_commit(repo.get(), m.base, m.head, FolderFilter({"/svc-b"}));
  REQUIRE(only_b.size() == 1);
  CHECK(only_b[0].path == "svc-b/library.py");
  // The single diff, line numbers in the head version.
  auto final_added = added_lines(repo.get(), m.base, m.head, FolderFilter({"svc-a/"}));
  REQUIRE(final_added.size() == 1);
  CHECK(final_added[0].commit == m.head);
  CHECK(final_added[0].lines == std::vector<int>{2, 4});
}

TEST_CASE("merge commits are left out of the per-commit walk") {
  MrRepo m;
  m.repo.git("checkout -q feature");
  m.repo.git("merge -q --no-edit main");
  std::string merged = m.repo.git("rev-parse HEAD");
  RepositoryPtr repo = open_repository(m.repo.git_dir());
  auto commits = commits_between(repo.get(), m.base, merged);
  CHECK(std::find(commits.begin(), commits.end(), merged) == commits.end());
  CHECK(std::find(commits.begin(), commits.end(), m.main_tip) != commits.end());
}

TEST_CASE("unrelated histories have no merge base") {
  test::TempRepo r{"unrelated"};
  r.write("a.txt", "a\n");
  std::string a = r.commit("a");
  r.git("checkout -q --orphan other");
  r.write("b.txt", "b\n");
  std::string b = r.commit("b");
  RepositoryPtr repo = open_repository(r.git_dir());
  CHECK_FALSE(merge_base(repo.get(), a, b).has_value());
}

TEST_CASE("tree listing and file reading for full and files scopes") {
  MrRepo m;
  RepositoryPtr repo = open_repository(m.repo.git_dir());
  auto all = list_files(repo.get(), m.head);
  std::vector<std::string> paths;
  for (const auto& f : all) paths.push_back(f.path);
  CHECK(paths == std::vector<std::string>{"README.md", "svc-a/app.py", "svc-b/blob.bin", "svc-b/library.py"});
  auto only_a = list_files(repo.get(), m.head, FolderFilter({"svc-a"}));
  REQUIRE(only_a.size() == 1);
  CHECK(only_a[0].size == std::string("import os\nKEY = os.environ['KEY']\nprint('a')\nprint('b')\n").size());
  CHECK(read_blob(repo.get(), only_a[0].blob).find("os.environ") != std::string::npos);
  CHECK(read_file(repo.get(), m.c1, "svc-a/app.py")->find("AKIA") != std::string::npos);
  CHECK_FALSE(read_file(repo.get(), m.head, "svc-b/lib.py").has_value());
  CHECK_FALSE(read_file(repo.get(), m.head, "svc-a").has_value());
}

TEST_CASE("read_file does not take a symbolic link's target for the file's content") {
  test::TempRepo repo("diff-symlink");
  repo.write("real.yml", "exclude: []\n");
  std::filesystem::create_directories(repo.dir() / ".jit");
  std::filesystem::create_symlink("/etc/passwd", repo.dir() / ".jit" / "jit-config.yml");
  const std::string head = repo.commit("links");
  RepositoryPtr opened = open_repository(repo.git_dir());
  CHECK(read_file(opened.get(), head, "real.yml") == std::optional<std::string>("exclude: []\n"));
  CHECK_FALSE(read_file(opened.get(), head, ".jit/jit-config.yml").has_value());
}

TEST_CASE("folder filter") {
  FolderFilter f({"/svc-a", "libs/x/"});
  CHECK(f.contains("svc-a/app.py"));
  CHECK(f.contains("svc-a"));
  CHECK(f.contains("libs/x/y.c"));
  CHECK_FALSE(f.contains("svc-ab/app.py"));
  CHECK_FALSE(f.contains("libs/xy/z"));
  CHECK(f.folders() == std::vector<std::string>{"libs/x", "svc-a"});
  CHECK(FolderFilter({"/svc-a", "/"}).all());
  CHECK(FolderFilter().contains("anything"));
}
