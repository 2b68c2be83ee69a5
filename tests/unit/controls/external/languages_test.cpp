#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include "agent/controls/external/external_control.h"
#include "agent/controls/external/folder_run.h"
#include "agent/controls/external/languages.h"
#include "agent/controls/external/variables.h"
#include "agent/util/error.h"
#include "support.h"

using namespace agent::controls::external;
using Catch::Matchers::ContainsSubstring;
using external_test::TempDir;
using external_test::write_text;

TEST_CASE("is_language: extensions, Dockerfiles, shebangs") {
  CHECK(is_language("python", "a/b.py"));
  CHECK(is_language("python", "stubs/x.pyi"));
  CHECK_FALSE(is_language("python", "a/b.pyc"));
  CHECK(is_language("c", "x.c"));
  CHECK(is_language("c", "x.h"));
  CHECK(is_language("cpp", "x.h"));
  CHECK(is_language("cpp", "X.CPP"));
  CHECK(is_language("shell", "run.sh"));
  CHECK(is_language("shell", "bin/release", "#!/bin/sh"));
  CHECK(is_language("shell", "bin/release", "#!/usr/bin/env bash"));
  CHECK(is_language("shell", "bin/release", "#! /bin/dash -e"));
  CHECK(is_language("shell", "bin/release", "#!/bin/ksh"));
  CHECK_FALSE(is_language("shell", "bin/release", "#!/usr/bin/env python3"));
  CHECK_FALSE(is_language("shell", "bin/release", "#!/bin/shiny"));
  CHECK_FALSE(is_language("shell", "bin/release"));
  CHECK(is_language("javascript", "web/app.mjs"));
  CHECK(is_language("typescript", "web/app.tsx"));
  CHECK_FALSE(is_language("javascript", "web/app.ts"));
  CHECK(is_language("terraform", "infra/main.tf"));
  CHECK(is_language("dockerfile", "svc/Dockerfile"));
  CHECK(is_language("dockerfile", "svc/Dockerfile.prod"));
  CHECK(is_language("go", "main.go"));
  CHECK(is_language("ruby", "Gemfile"));
  CHECK_FALSE(is_language("cobol", "x.cbl"));
  CHECK_FALSE(is_language("python", ".py"));
}

TEST_CASE("files_of: folder prefix, languages, extension-less scripts by their first line") {
  TempDir root;
  write_text(root.path() / "svc/api/app.py", "x = 1\n");
  write_text(root.path() / "svc/api/deploy", "#!/bin/bash\necho hi\n");
  write_text(root.path() / "svc/api/notes", "hello\n");
  write_text(root.path() / "svc/apiary/other.py", "y = 2\n");
  write_text(root.path() / "top.sh", "echo\n");
  auto input = external_test::input_of(root.path());
  auto py = files_of(input, "svc/api", {"python"});
  REQUIRE(py.size() == 1);
  CHECK(py[0]->path == "svc/api/app.py");
  auto sh = files_of(input, "svc/api", {"shell"});
  REQUIRE(sh.size() == 1);
  CHECK(sh[0]->path == "svc/api/deploy");
  CHECK(files_of(input, "", {"shell"}).size() == 2);
  CHECK(files_of(input, "svc/api", {}).size() == 3);
  CHECK(languages_label({"c", "cpp"}) == "C or C++");
  CHECK(languages_label({"python"}) == "Python");
}

TEST_CASE("variables: known names, ${FILES}, unknown names name the control") {
  agent::config::ToolSpec spec;
  spec.name = "my-sast";
  spec.defined_at = "jit.yml:12:5";
  spec.args = {"--root=${WORK_DIR}", "${FOLDER}", "-o", "${REPORT_FILE}", "${CHANGED_FILES}", "${FILES}",
               "${JIT_TOOLS_DIR}/cfg", "$HOME", "literal"};
  Variables v{"/w", "/w/svc", "/tmp/r/report.json", "", "/opt/tools"};
  auto args = expand_args(spec, v, {"/w/svc/a.py", "/w/svc/b.py"});
  CHECK(args == std::vector<std::string>{"--root=/w", "/w/svc", "-o", "/tmp/r/report.json", "", "/w/svc/a.py",
                                         "/w/svc/b.py", "/opt/tools/cfg", "$HOME", "literal"});
  CHECK(uses_report_file(spec));
  spec.args = {"${SECRET_TOKEN}"};
  try {
    expand_args(spec, v, {});
    FAIL("no error");
  } catch (const agent::util::UsageError& e) {
    CHECK_THAT(e.what(), ContainsSubstring("jit.yml:12:5: control my-sast: unknown variable ${SECRET_TOKEN}"));
  }
  spec.args = {"--files=${FILES}"};
  CHECK_THROWS_WITH(expand_args(spec, v, {}), ContainsSubstring("${FILES} must be an argument of its own"));
  spec.args = {"${FOLDER"};
  CHECK_THROWS_WITH(expand_args(spec, v, {}), ContainsSubstring("unterminated"));
}

TEST_CASE("file_batches: ${FILES} of a large folder is split below the argv limit") {
  std::vector<std::string> files = {"/r/aaaa", "/r/bbbb", "/r/cccc", "/r/dddd", "/r/eeeeeeeeeeeeeeeeeeeeeee"};
  auto batches = file_batches(files, true, 16);
  REQUIRE(batches.size() == 3);
  CHECK(batches[0] == std::vector<std::string>{"/r/aaaa", "/r/bbbb"});
  CHECK(batches[1] == std::vector<std::string>{"/r/cccc", "/r/dddd"});
  CHECK(batches[2] == std::vector<std::string>{"/r/eeeeeeeeeeeeeeeeeeeeeee"});  // alone when longer than a batch
  CHECK(file_batches(files, true).size() == 1);
  auto none = file_batches(files, false);
  REQUIRE(none.size() == 1);
  CHECK(none[0].empty());
}
