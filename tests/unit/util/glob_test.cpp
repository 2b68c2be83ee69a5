#include <catch2/catch_test_macros.hpp>

#include "agent/util/glob.h"

using agent::util::glob_match;
using agent::util::glob_match_exact;

TEST_CASE("glob: * and ? stay inside one folder") {
  CHECK(glob_match_exact("*.txt", "a.txt"));
  CHECK_FALSE(glob_match_exact("*.txt", "dir/a.txt"));
  CHECK(glob_match_exact("src/*.c", "src/main.c"));
  CHECK_FALSE(glob_match_exact("src/*.c", "src/sub/main.c"));
  CHECK(glob_match_exact("file?.go", "file1.go"));
  CHECK_FALSE(glob_match_exact("a?b", "a/b"));
  CHECK(glob_match_exact("*", ""));
  CHECK_FALSE(glob_match_exact("?", ""));
}

TEST_CASE("glob: ** spans folders") {
  CHECK(glob_match_exact("**/testdata/**", "a/b/testdata/x/y.json"));
  CHECK(glob_match_exact("**/testdata/**", "testdata/y.json"));
  CHECK_FALSE(glob_match_exact("**/testdata/**", "testdata"));
  CHECK(glob_match_exact("a/**/b", "a/b"));
  CHECK(glob_match_exact("a/**/b", "a/x/y/b"));
  CHECK_FALSE(glob_match_exact("a/**/b", "a/x/yb"));
  CHECK(glob_match_exact("**", "any/thing/at/all"));
  CHECK(glob_match_exact("**/*.lock", "deep/er/Cargo.lock"));
  CHECK(glob_match_exact("**/*.lock", "Cargo.lock"));
  // "**" that is not a whole segment is an ordinary '*'.
  CHECK(glob_match_exact("a**b", "axxb"));
  CHECK_FALSE(glob_match_exact("a**b", "ax/xb"));
}

TEST_CASE("glob: classes and escapes") {
  CHECK(glob_match_exact("[abc].txt", "b.txt"));
  CHECK_FALSE(glob_match_exact("[abc].txt", "d.txt"));
  CHECK(glob_match_exact("v[0-9]", "v7"));
  CHECK_FALSE(glob_match_exact("v[!0-9]", "v7"));
  CHECK(glob_match_exact("v[!0-9]", "vx"));
  CHECK(glob_match_exact("\\*.md", "*.md"));
  CHECK_FALSE(glob_match_exact("\\*.md", "a.md"));
  CHECK(glob_match_exact("[unclosed", "[unclosed"));
}

TEST_CASE("glob_match: a pattern without '/' matches the base name at any depth") {
  CHECK(glob_match("*.min.js", "web/dist/app.min.js"));
  CHECK(glob_match("node_modules", "a/node_modules/left-pad/package.json"));
  CHECK(glob_match("package-lock.json", "package-lock.json"));
  CHECK_FALSE(glob_match("*.js", "web/app.ts"));
}

TEST_CASE("glob_match: a pattern with '/' is anchored at the root") {
  CHECK(glob_match("docs/*.md", "docs/readme.md"));
  CHECK_FALSE(glob_match("docs/*.md", "sub/docs/readme.md"));
  CHECK(glob_match("/build", "build/out.o"));
  CHECK_FALSE(glob_match("/build", "src/build/out.o"));
  CHECK(glob_match("./vendor/**", "vendor/github.com/x/y.go"));
}

TEST_CASE("glob_match: excluding a folder excludes its content") {
  CHECK(glob_match("**/testdata", "svc/testdata/fixtures/a.json"));
  CHECK(glob_match("third_party/", "third_party/lib/a.c"));
  CHECK_FALSE(glob_match("third_party/", "third_party"));
  CHECK(glob_match("third_party/", "third_party", true));
  CHECK(glob_match("vendor/", "pkg/vendor/mod/go.mod"));
  CHECK_FALSE(glob_match("vendor/", "pkg/vendor"));
  CHECK_FALSE(glob_match("", "anything"));
  CHECK_FALSE(glob_match("*.go", ""));
}
