#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "agent/controls/secrets/secrets_control.h"

using namespace agent::controls;
using namespace agent::controls::secrets;
namespace fs = std::filesystem;
using Catch::Matchers::ContainsSubstring;

namespace {

const std::string kToken = "glpat-Xk9pQ2rT7vB4nM8sL1wZ";

struct Tree {
  fs::path root;
  ScanInput input;
  Tree() {
    std::random_device rd;
    root = fs::temp_directory_path() / ("jit-secrets-control-" + std::to_string(getpid()) + "-" + std::to_string(rd()));
    fs::create_directories(root);
    input.root = root;
  }
  ~Tree() {
    std::error_code ec;
    fs::remove_all(root, ec);
  }
  void add(const std::string& rel, const std::string& content) {
    fs::path p = root / rel;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << content;
    input.files.push_back({rel, p, content.size()});
  }
};

SecretsControl control() {
  return SecretsControl(Engine(load_rules_from_string(R"(rules:
  - id: gitlab-pat
    name: GitLab PAT
    severity: critical
    pattern: '\b(?P<secret>glpat-[0-9A-Za-z_-]{20})\b'
    examples: [x]
)", "t.yaml"),
                               {}));
}

}  // namespace

TEST_CASE("scans files, skips binary and large ones, counts what it did", "[control]") {
  Tree tree;
  tree.add("a/.env", "TOKEN=" + kToken + "\n");
  tree.add("b/empty.txt", "");
  tree.add("c/image.png", std::string("\x89PNG\r\n\x1a\n\0\0", 10) + "TOKEN=" + kToken);
  tree.add("d/big.txt", std::string(2000, 'x') + " " + kToken);
  tree.add("e/mapped.txt", std::string(1500000, 'y') + "\n" + kToken + "\n");  // over the mmap threshold
  tree.input.max_file_size = 1600000;
  tree.input.commit_sha = "0123456789abcdef0123456789abcdef01234567";
  tree.input.files[3].size = 2000000;  // the walker saw it large: skipped before reading
  agent::findings::ScanResult out;
  auto c = control();
  CHECK(c.name() == "secrets");
  c.run(tree.input, out);
  REQUIRE(out.findings.size() == 2);
  CHECK(out.findings[0].path == "a/.env");
  CHECK(out.findings[0].commit == tree.input.commit_sha);
  CHECK(out.findings[1].path == "e/mapped.txt");
  CHECK(out.findings[1].line == 2);
  CHECK(out.stats.files_scanned == 3);
  CHECK(out.stats.skipped_binary == 1);
  CHECK(out.stats.skipped_too_large == 1);
  CHECK(out.stats.bytes_scanned == tree.input.files[0].size + tree.input.files[4].size);
  CHECK(out.controls == std::vector<std::string>{"secrets"});
  CHECK(out.warnings.empty());
}

TEST_CASE("an unreadable file is a warning, not an abort", "[control]") {
  Tree tree;
  tree.add("ok.env", "TOKEN=" + kToken + "\n");
  tree.input.files.push_back({"gone.env", tree.root / "gone.env", 10});
  tree.add("sub/dir-not-file", "");
  fs::remove(tree.root / "sub/dir-not-file");
  fs::create_directory(tree.root / "sub/dir-not-file");
  std::size_t expected = 2;
  if (geteuid() != 0) {  // root reads everything: a mode of 000 only stops other users
    tree.add("locked.env", "TOKEN=" + kToken + "\n");
    fs::permissions(tree.root / "locked.env", fs::perms::none);
    ++expected;
  }
  agent::findings::ScanResult out;
  control().run(tree.input, out);
  CHECK(out.findings.size() == 1);
  CHECK(out.stats.unreadable == expected);
  REQUIRE(out.warnings.size() == expected);
  CHECK_THAT(out.warnings[0], ContainsSubstring("gone.env") && ContainsSubstring("No such file"));
  CHECK_THAT(out.warnings.back(), ContainsSubstring("sub/dir-not-file: not a regular file"));
}

TEST_CASE("a symlink that reaches the control is not followed", "[control]") {
  Tree tree;
  tree.add("target.env", "TOKEN=" + kToken + "\n");
  fs::create_symlink(tree.root / "target.env", tree.root / "link.env");
  tree.input.files = {{"link.env", tree.root / "link.env", 10}};
  agent::findings::ScanResult out;
  control().run(tree.input, out);
  CHECK(out.findings.empty());
  CHECK(out.stats.skipped_symlinks == 1);
}

TEST_CASE("many files on several threads give the same sorted result", "[control]") {
  Tree tree;
  for (int i = 0; i < 200; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "f%03d.txt", i);
    tree.add(name, i % 3 == 0 ? "line\nTOKEN=" + kToken + "\n" : "nothing here\n");
  }
  auto c = control();
  agent::findings::ScanResult one, four;
  tree.input.jobs = 1;
  c.run(tree.input, one);
  tree.input.jobs = 4;
  c.run(tree.input, four);
  REQUIRE(one.findings.size() == 67);
  REQUIRE(four.findings.size() == 67);
  for (std::size_t i = 0; i < one.findings.size(); ++i) {
    CHECK(one.findings[i].path == four.findings[i].path);
    CHECK(one.findings[i].fingerprint == four.findings[i].fingerprint);
  }
  CHECK(four.stats.files_scanned == 200);
  CHECK(four.findings[0].path == "f000.txt");
}

TEST_CASE("the engine scans an in-memory buffer the same way", "[control]") {
  auto c = control();
  auto scratch = c.engine().make_scratch();
  std::vector<agent::findings::Finding> found;
  agent::findings::ScanStats stats;
  c.engine().scan("TOKEN=" + kToken, "diff/blob", *scratch, found, stats);
  REQUIRE(found.size() == 1);
  CHECK(found[0].path == "diff/blob");
}

TEST_CASE("binary means a NUL byte in the first 8 KiB", "[control]") {
  CHECK_FALSE(looks_binary(""));
  CHECK_FALSE(looks_binary("plain text\n"));
  CHECK(looks_binary(std::string("ab\0cd", 5)));
  CHECK_FALSE(looks_binary(std::string(8192, 'a') + std::string(1, '\0')));
  CHECK(looks_binary(std::string(8191, 'a') + std::string(1, '\0')));
}
