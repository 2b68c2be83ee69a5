// ExternalControl against fake tools that misbehave (shell scripts written at test time).
#include <signal.h>
#include <sys/resource.h>

#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <cerrno>
#include <thread>

#include "agent/controls/external/external_control.h"
#include "support.h"

using namespace agent::controls::external;
using agent::config::ToolSpec;
using agent::findings::ScanResult;
using Catch::Matchers::ContainsSubstring;
using external_test::read_text;
using external_test::TempDir;
using external_test::write_script;
using external_test::write_text;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

struct Fixture {
  TempDir checkout;
  TempDir scratch;  // scripts and files the scripts write, outside the checkout
  agent::util::Environment env = external_test::test_env(
      {{"JIT_CHECKOUT_TOKEN", "glpat-TESTTOKENabcdef123456"}, {"CI_JOB_TOKEN", "job-token-zyx987654"},
       {"ALLOWED_VAR", "allowed-value"}});

  Fixture() {
    write_text(checkout.path() / "app.py", "import os\nos.system(cmd)\n");
    write_text(checkout.path() / "svc/b/b.py", "eval(x)\n");
    write_text(checkout.path() / "docs/readme.md", "# docs\n");
  }

  ToolSpec spec(const std::string& script_body, std::vector<std::string> args = {"${REPORT_FILE}"},
                std::string format = "sarif") {
    static int counter = 0;
    ToolSpec s;
    s.name = "fake";
    s.command = write_script(scratch.path() / ("tool" + std::to_string(counter++)), script_body).string();
    s.args = std::move(args);
    s.format = std::move(format);
    s.languages = {"python"};
    s.timeout = 20s;
    s.exit_codes = {{0}, {1}, {2}};
    return s;
  }

  ScanResult run(const ToolSpec& s, ExternalOptions options = {}, std::vector<std::string> folders = {}) {
    options.env = &env;
    ExternalControl control(s, options);
    auto input = external_test::input_of(checkout.path());
    input.folders = std::move(folders);
    input.jobs = 2;
    ScanResult result;
    control.run(input, result);
    return result;
  }
};

// A SARIF report with one result per uri, written by the fake tool to its first argument.
std::string sarif_writer(const std::vector<std::string>& uris) {
  std::string results;
  for (const auto& uri : uris) {
    if (!results.empty()) results += ",";
    results += R"({"ruleId":"FAKE1","level":"error","message":{"text":"bad call"},"locations":[{"physicalLocation":{"artifactLocation":{"uri":")" +
               uri + R"("},"region":{"startLine":2}}}]})";
  }
  return "cat > \"$1\" <<'SARIF'\n"
         R"({"version":"2.1.0","runs":[{"tool":{"driver":{"name":"Fake","version":"0.1"}},"results":[)" +
         results + "]}]}\nSARIF\n";
}

bool process_gone(pid_t pid) {
  for (int i = 0; i < 100; ++i) {
    if (::kill(pid, 0) == -1 && errno == ESRCH) return true;
    std::this_thread::sleep_for(50ms);
  }
  return false;
}

}  // namespace

TEST_CASE("external: a tool's SARIF report becomes findings relative to the root") {
  Fixture fx;
  auto result = fx.run(fx.spec(sarif_writer({"app.py"}) + "exit 1\n"));
  CHECK(result.errored_controls.empty());
  CHECK(result.controls == std::vector<std::string>{"fake"});
  REQUIRE(result.findings.size() == 1);
  const auto& f = result.findings[0];
  CHECK(f.control == "fake");
  CHECK(f.path == "app.py");
  CHECK(f.line == 2);
  CHECK(f.tool->snippet == "os.system(cmd)");
  CHECK(f.tool->tool_version == "0.1");
  CHECK(f.fingerprint.size() == 64);
}

TEST_CASE("external: a hanging tool times out within a bounded time") {
  Fixture fx;
  auto s = fx.spec("exec sleep 60\n");
  s.timeout = 1s;
  auto start = std::chrono::steady_clock::now();
  auto result = fx.run(s);
  auto took = std::chrono::steady_clock::now() - start;
  CHECK(took < 10s);
  REQUIRE(result.errored_controls.size() == 1);
  CHECK_THAT(result.errored_controls[0].reason, ContainsSubstring("timed out after 1s"));
  CHECK(result.controls == std::vector<std::string>{"fake"});
}

TEST_CASE("external: a tool's child that ignores SIGTERM does not survive the timeout") {
  Fixture fx;
  const fs::path pidfile = fx.scratch.path() / "child.pid";
  auto s = fx.spec(
      "sh -c 'trap \"\" TERM; echo $$ > \"$1\"; exec sleep 120' child \"$1\" &\n"
      "trap '' TERM\n"
      "sleep 120\n",
      {pidfile.string()});
  s.timeout = 1s;
  auto result = fx.run(s);
  REQUIRE(result.errored_controls.size() == 1);
  CHECK_THAT(result.errored_controls[0].reason, ContainsSubstring("timed out"));
  const std::string text = read_text(pidfile);
  REQUIRE(!text.empty());
  const pid_t child = std::stoi(text);
  CHECK(process_gone(child));
}

TEST_CASE("external: leftovers of a tool that exited are ended too") {
  Fixture fx;
  const fs::path pidfile = fx.scratch.path() / "bg.pid";
  auto s = fx.spec("sh -c 'trap \"\" TERM; echo $$ > \"$1\"; exec sleep 120' bg \"$1\" >/dev/null 2>&1 &\n"
                   "while [ ! -s \"$1\" ]; do sleep 0.05; done\n"
                   "exit 0\n",
                   {pidfile.string()});
  s.output = "stdout";
  auto result = fx.run(s);
  // No report on stdout: errored, and the background child is gone.
  REQUIRE(result.errored_controls.size() == 1);
  CHECK_THAT(result.errored_controls[0].reason, ContainsSubstring("empty report"));
  CHECK(process_gone(std::stoi(read_text(pidfile))));
}

TEST_CASE("external: a crashing tool is errored with its signal") {
  Fixture fx;
  auto result = fx.run(fx.spec("echo 'about to crash' >&2\nkill -SEGV $$\n"));
  REQUIRE(result.errored_controls.size() == 1);
  CHECK_THAT(result.errored_controls[0].reason, ContainsSubstring("killed by SIGSEGV"));
  CHECK_THAT(result.errored_controls[0].reason, ContainsSubstring("about to crash"));
  CHECK(result.findings.empty());
}

TEST_CASE("external: garbage output is errored with the parser's message") {
  Fixture fx;
  auto result = fx.run(fx.spec("echo 'Traceback (most recent call last): {' > \"$1\"\n"));
  REQUIRE(result.errored_controls.size() == 1);
  CHECK_THAT(result.errored_controls[0].reason, ContainsSubstring("not valid sarif: not valid JSON"));
  auto wrong_shape = fx.run(fx.spec("echo '{\"results\": 3}' > \"$1\"\n", {"${REPORT_FILE}"}, "bandit-json"));
  REQUIRE(wrong_shape.errored_controls.size() == 1);
  CHECK_THAT(wrong_shape.errored_controls[0].reason, ContainsSubstring("bandit-json: the document.results is not an array"));
}

TEST_CASE("external: an endless stdout report is refused with bounded memory") {
  Fixture fx;
  auto s = fx.spec("exec yes 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'\n", {});
  s.output = "stdout";
  ExternalOptions options;
  options.max_report_bytes = 1u << 20;
  auto start = std::chrono::steady_clock::now();
  auto result = fx.run(s, options);
  CHECK(std::chrono::steady_clock::now() - start < 10s);
  REQUIRE(result.errored_controls.size() == 1);
  CHECK_THAT(result.errored_controls[0].reason, ContainsSubstring("larger than 1048576 bytes: refused"));
}

TEST_CASE("external: a huge stdout next to a report file keeps only a tail") {
  Fixture fx;
  auto s = fx.spec("head -c 30000000 /dev/zero | tr '\\0' 'x'\n" + sarif_writer({"app.py"}));
  struct rusage before {};
  ::getrusage(RUSAGE_SELF, &before);
  auto result = fx.run(s);
  struct rusage after {};
  ::getrusage(RUSAGE_SELF, &after);
  CHECK(result.errored_controls.empty());
  CHECK(result.findings.size() == 1);
  CHECK(after.ru_maxrss - before.ru_maxrss < 20 * 1024);  // KiB: far below the 30 MB printed
}

TEST_CASE("external: a 1 GB report file is refused unread") {
  Fixture fx;
  struct rusage before {};
  ::getrusage(RUSAGE_SELF, &before);
  auto result = fx.run(fx.spec("truncate -s 1G \"$1\"\n"));
  struct rusage after {};
  ::getrusage(RUSAGE_SELF, &after);
  REQUIRE(result.errored_controls.size() == 1);
  CHECK_THAT(result.errored_controls[0].reason, ContainsSubstring("1073741824 bytes, larger than the limit"));
  CHECK_THAT(result.errored_controls[0].reason, ContainsSubstring("refused unread"));
  CHECK(after.ru_maxrss - before.ru_maxrss < 64 * 1024);
}

TEST_CASE("external: paths outside the checkout are dropped with one warning") {
  Fixture fx;
  fs::create_directory_symlink(fx.scratch.path(), fx.checkout.path() / "escape");
  write_text(fx.scratch.path() / "x.py", "a\nb\n");
  auto result = fx.run(fx.spec(sarif_writer({"/etc/passwd", "../outside.py", "svc/../../x.py", "escape/x.py",
                                             "file://" + (fx.checkout.path() / "app.py").string()})));
  CHECK(result.errored_controls.empty());
  REQUIRE(result.findings.size() == 1);
  CHECK(result.findings[0].path == "app.py");
  REQUIRE(result.warnings.size() == 1);
  CHECK_THAT(result.warnings[0], ContainsSubstring("fake: dropped 4 findings"));
}

TEST_CASE("external: our tokens reach a tool only when its spec names them") {
  Fixture fx;
  const fs::path dump = fx.scratch.path() / "env.txt";
  auto s = fx.spec("env > \"$2\"\n" + sarif_writer({}), {"${REPORT_FILE}", dump.string()});
  s.env = {"ALLOWED_VAR"};
  auto result = fx.run(s);
  CHECK(result.errored_controls.empty());
  const std::string env = read_text(dump);
  CHECK_THAT(env, ContainsSubstring("ALLOWED_VAR=allowed-value"));
  CHECK_THAT(env, ContainsSubstring("PATH=/usr/local/bin:/usr/bin:/bin"));
  CHECK(env.find("glpat-TESTTOKEN") == std::string::npos);
  CHECK(env.find("job-token-zyx987654") == std::string::npos);
  CHECK(env.find("JIT_CHECKOUT_TOKEN") == std::string::npos);

  // Passed when named; still redacted from what is reported about a failure.
  auto named = fx.spec("echo \"token is $JIT_CHECKOUT_TOKEN\" >&2\nexit 9\n");
  named.env = {"JIT_CHECKOUT_TOKEN"};
  auto failed = fx.run(named);
  REQUIRE(failed.errored_controls.size() == 1);
  CHECK_THAT(failed.errored_controls[0].reason, ContainsSubstring("token is [REDACTED]"));
  CHECK(failed.errored_controls[0].reason.find("glpat-") == std::string::npos);
}

TEST_CASE("external: exit codes outside every list are errored") {
  Fixture fx;
  auto result = fx.run(fx.spec(sarif_writer({"app.py"}) + "exit 7\n"));
  REQUIRE(result.errored_controls.size() == 1);
  CHECK_THAT(result.errored_controls[0].reason, ContainsSubstring("exited with code 7 (not in its exit_codes)"));
  auto listed = fx.run(fx.spec("echo 'config broken' >&2\nexit 2\n"));
  REQUIRE(listed.errored_controls.size() == 1);
  CHECK_THAT(listed.errored_controls[0].reason, ContainsSubstring("exited with code 2 (an error, per its exit_codes); stderr: config broken"));
}

TEST_CASE("external: exit 0 without a report is errored") {
  Fixture fx;
  auto result = fx.run(fx.spec("exit 0\n"));
  REQUIRE(result.errored_controls.size() == 1);
  CHECK_THAT(result.errored_controls[0].reason, ContainsSubstring("exited with code 0 but wrote no report"));
}

TEST_CASE("external: cwd is the work dir, stdin is empty, ${FILES} lists the folder's files") {
  Fixture fx;
  const fs::path out = fx.scratch.path() / "seen.txt";
  auto s = fx.spec("{ pwd; cat; shift 2; echo \"$@\"; } > \"$OUT_FILE\"\n" + std::string("echo '{\"comments\":[]}'\n"),
                   {"x", "y", "${FILES}"}, "shellcheck-json1");
  s.output = "stdout";
  s.env = {"OUT_FILE"};
  fx.env = external_test::test_env({{"OUT_FILE", out.string()}});
  auto result = fx.run(s, {}, {"svc/b"});
  CHECK(result.errored_controls.empty());
  const std::string seen = read_text(out);
  CHECK(seen == fs::absolute(fx.checkout.path()).string() + "\n" + (fx.checkout.path() / "svc/b/b.py").string() + "\n");
}

TEST_CASE("external: folders run separately; one without files is skipped") {
  Fixture fx;
  auto s = fx.spec("for f in \"$2\"/*.py; do uri=$f; done\n"
                   "printf '{\"version\":\"2.1.0\",\"runs\":[{\"tool\":{\"driver\":{\"name\":\"Fake\"}},\"results\":[{\"ruleId\":\"R\",\"message\":{\"text\":\"m\"},\"locations\":[{\"physicalLocation\":{\"artifactLocation\":{\"uri\":\"%s\"},\"region\":{\"startLine\":1}}}]}]}]}' \"$uri\" > \"$1\"\n",
                   {"${REPORT_FILE}", "${FOLDER}"});
  auto result = fx.run(s, {}, {"", "svc/b", "docs"});
  CHECK(result.errored_controls.empty());
  REQUIRE(result.findings.size() == 2);
  CHECK(result.findings[0].path == "app.py");
  CHECK(result.findings[1].path == "svc/b/b.py");
  REQUIRE(result.skipped_controls.size() == 1);
  CHECK(result.skipped_controls[0].reason == "no Python files in docs");
  CHECK(result.skipped_controls[0].folder == "docs");
  CHECK(result.controls == std::vector<std::string>{"fake"});
}

TEST_CASE("external: a missing tool is skipped when automatic, errored when required") {
  Fixture fx;
  ToolSpec s;
  s.name = "bandit";
  s.command = "jit-no-such-scanner";
  s.format = "bandit-json";
  s.languages = {"python"};
  auto errored = fx.run(s);
  REQUIRE(errored.errored_controls.size() == 1);
  CHECK(errored.errored_controls[0].reason == "bandit is not installed (looked for `jit-no-such-scanner` in PATH)");
  s.automatic = true;
  auto skipped = fx.run(s);
  CHECK(skipped.errored_controls.empty());
  REQUIRE(skipped.skipped_controls.size() == 1);
  CHECK_THAT(skipped.skipped_controls[0].reason, ContainsSubstring("is not installed"));
  CHECK(skipped.controls.empty());
  s.languages = {"go"};
  auto no_files = fx.run(s);
  REQUIRE(no_files.skipped_controls.size() == 1);
  CHECK(no_files.skipped_controls[0].reason == "no Go files");
}

TEST_CASE("external: an unknown variable errors the control, naming it") {
  Fixture fx;
  auto s = fx.spec("exit 0\n", {"${NOPE}"});
  s.defined_at = "jit.yml:3:3";
  auto result = fx.run(s);
  REQUIRE(result.errored_controls.size() == 1);
  CHECK_THAT(result.errored_controls[0].reason, ContainsSubstring("jit.yml:3:3: control fake: unknown variable ${NOPE}"));
}

TEST_CASE("find_tool and tool_version") {
  Fixture fx;
  ExternalOptions options;
  options.env = &fx.env;
  options.tools_dir = fx.scratch.path();
  ToolSpec s;
  s.name = "mine";
  s.command = "sh";
  auto found = find_tool(s, options);
  REQUIRE(found);
  CHECK(found->filename() == "sh");
  write_script(fx.scratch.path() / "bin/versioned", "echo\necho '  versioned 4.2.1 \x1b[1m'\necho second\n");
  s.command = "${JIT_TOOLS_DIR}/bin/versioned";
  found = find_tool(s, options);
  REQUIRE(found);
  CHECK(tool_version(s, *found, options) == "versioned 4.2.1");
  s.version_args = "";
  CHECK(tool_version(s, *found, options).empty());
  s.command = "${JIT_TOOLS_DIR}/bin/absent";
  CHECK_FALSE(find_tool(s, options));
}
