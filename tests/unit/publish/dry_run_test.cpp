#include <catch2/catch_test_macros.hpp>

#include "agent/publish/dry_run.h"
#include "agent/publish/merge_request.h"
#include "fake_api.h"

using namespace agent::publish;

namespace {
agent::findings::ScanResult one_finding() {
  agent::findings::ScanResult r;
  agent::findings::Finding f;
  f.control = "secrets";
  f.rule_id = "github-pat";
  f.severity = agent::findings::Severity::critical;
  f.path = "app/config.py";
  f.line = 11;
  f.fingerprint = "ab12";
  r.findings.push_back(f);
  r.controls = {"secrets"};
  return r;
}
}  // namespace

TEST_CASE("dry run reads from GitLab and writes nothing") {
  test::FakeApi real;
  DryRunApi dry(&real);
  DiffIndex diff;
  diff["app/config.py"] = ChangedFile{"app/config.py", {11}};
  const auto result = one_finding();
  auto out = publish_merge_request(dry, {"7", 3, "headsha2"}, result, diff, MergeRequestOptions{});
  CHECK(real.writes() == 0);
  CHECK(real.calls == std::vector<std::string>{"GET versions", "GET discussions", "GET notes"});
  CHECK(out.threads_created == 1);
  REQUIRE(dry.planned().size() == 2);
  CHECK(dry.planned()[0] == "open a thread on app/config.py:11");
  CHECK(dry.planned()[1] == "post the summary note");
  dry.set_commit_status("7", "0123456789abcdef0123", agent::gitlab::CommitStatus{"success", "jit-security", "ok", "", ""});
  CHECK(real.statuses.empty());
  CHECK(dry.planned().back() == "set status jit-security=success on 0123456789ab (ok)");
}

TEST_CASE("dry run without GitLab plans against an empty merge request") {
  DryRunApi dry(nullptr);
  DiffIndex diff;
  diff["app/config.py"] = ChangedFile{"app/config.py", {11}};
  const auto result = one_finding();
  auto out = publish_merge_request(dry, {"7", 3, "headsha2"}, result, diff, MergeRequestOptions{});
  CHECK(out.threads_created == 1);
  CHECK(out.summary == "created");
  CHECK(dry.planned().size() == 2);
}
