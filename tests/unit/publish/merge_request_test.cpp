#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <algorithm>
#include <deque>

#include "agent/publish/markers.h"
#include "agent/publish/merge_request.h"
#include "agent/publish/render.h"
#include "fake_api.h"

using namespace agent::publish;
using agent::findings::Finding;
using agent::findings::ScanResult;
using agent::findings::Severity;
using Catch::Matchers::ContainsSubstring;

namespace {

Finding secret(std::string path, int line, std::string fp, Severity sev = Severity::high) {
  Finding f;
  f.control = "secrets";
  f.rule_id = "generic-api-key";
  f.rule_name = "Generic API key";
  f.severity = sev;
  f.path = std::move(path);
  f.line = line;
  f.fingerprint = std::move(fp);
  f.secret = agent::findings::SecretDetail{"sk_l…", "00", "", 4.0};
  return f;
}

ScanResult result_of(std::vector<Finding> list) {
  ScanResult r;
  r.findings = std::move(list);
  r.controls = {"secrets"};
  return r;
}

struct Fixture {
  test::FakeApi api;
  MergeRequestTarget target{"7", 3, "headsha2"};
  DiffIndex diff;
  MergeRequestOptions options;

  Fixture() {
    api.diff = {{"app/config.py", {10, 11, 12}}, {"new.txt", {1}}};
    diff["app/config.py"] = ChangedFile{"app/config.py", {10, 11, 12}};
    diff["new.txt"] = ChangedFile{"new.txt", {1}};
  }
  // The outcome points into the result: each one is kept as long as the fixture.
  std::deque<ScanResult> results;
  MergeRequestOutcome run(ScanResult r) {
    results.push_back(std::move(r));
    return publish_merge_request(api, target, results.back(), diff, options);
  }
};

}  // namespace

TEST_CASE("first run: one thread per finding on an added line, one summary note") {
  Fixture fx;
  auto r = result_of({secret("app/config.py", 11, "aa11"), secret("app/other.py", 3, "bb22")});
  auto out = fx.run(r);
  CHECK(out.threads_created == 1);
  CHECK(out.summary == "created");
  CHECK(out.errors.empty());
  REQUIRE(out.outside_diff.size() == 1);
  CHECK(out.outside_diff[0]->path == "app/other.py");

  auto threads = fx.api.threads();
  REQUIRE(threads.size() == 1);
  const auto& note = threads[0]->notes.front();
  REQUIRE(note.position.has_value());
  CHECK(note.position->head_sha == "headsha2");  // the newest version
  CHECK(note.position->base_sha == "basesha");
  CHECK(note.position->start_sha == "startsha");
  CHECK(note.position->new_path == "app/config.py");
  CHECK(note.position->old_path == "app/config.py");
  CHECK(note.position->new_line == 11);
  CHECK_FALSE(note.position->old_line.has_value());
  CHECK_THAT(note.body, Catch::Matchers::StartsWith("<!-- jit-agent:fingerprint=aa11 -->\n"));

  auto notes = fx.api.standalone_notes();
  REQUIRE(notes.size() == 1);
  CHECK(is_summary(notes[0]->body));
  CHECK_THAT(notes[0]->body, ContainsSubstring("app/other.py"));
  CHECK_THAT(notes[0]->body, ContainsSubstring("Outside the diff (1)"));
}

TEST_CASE("a re-run posts nothing") {
  Fixture fx;
  auto r = result_of({secret("app/config.py", 11, "aa11"), secret("app/other.py", 3, "bb22")});
  fx.run(r);
  int writes = fx.api.writes();
  auto again = fx.run(r);
  CHECK(fx.api.writes() == writes);
  CHECK(again.writes == 0);
  CHECK(again.threads_existing == 1);
  CHECK(again.threads_created == 0);
  CHECK(again.summary == "unchanged");
}

TEST_CASE("a finding that is gone: its thread gets a reply and is resolved, once") {
  Fixture fx;
  fx.run(result_of({secret("app/config.py", 11, "aa11")}));
  fx.target.head_sha = "fixsha99";
  auto fixed = fx.run(result_of({}));
  CHECK(fixed.threads_resolved == 1);
  CHECK(fixed.summary == "updated");
  auto threads = fx.api.threads();
  REQUIRE(threads[0]->notes.size() == 2);
  CHECK(threads[0]->notes.front().resolved);
  CHECK(is_resolved_reply(threads[0]->notes.back().body));
  CHECK_THAT(threads[0]->notes.back().body, ContainsSubstring("fixsha99"));
  CHECK_THAT(fx.api.standalone_notes()[0]->body, ContainsSubstring("No findings"));

  auto again = fx.run(result_of({}));
  CHECK(again.writes == 0);
  CHECK(again.threads_resolved == 0);
}

TEST_CASE("a fix commit: the line leaves the diff, the thread is resolved, the summary keeps the finding") {
  Fixture fx;
  fx.run(result_of({secret("app/config.py", 11, "aa11")}));
  // A later commit removed the line: the secret is still found in that commit's added lines,
  // but no line of the final diff holds it any more.
  fx.diff["app/config.py"].added = {10, 12};
  fx.target.head_sha = "fixsha99";
  auto fixed = fx.run(result_of({secret("app/config.py", 11, "aa11")}));
  CHECK(fixed.threads_resolved == 1);
  REQUIRE(fixed.outside_diff.size() == 1);
  auto threads = fx.api.threads();
  REQUIRE(threads[0]->notes.size() == 2);
  CHECK(threads[0]->notes.front().resolved);
  CHECK(is_resolved_reply(threads[0]->notes.back().body));
  CHECK_THAT(threads[0]->notes.back().body, ContainsSubstring("still in the branch history"));
  CHECK_THAT(fx.api.standalone_notes()[0]->body, ContainsSubstring("Outside the diff (1)"));

  auto again = fx.run(result_of({secret("app/config.py", 11, "aa11")}));
  CHECK(again.writes == 0);
}

TEST_CASE("a finding from an earlier commit is never positioned on the head's diff") {
  Fixture fx;
  auto old = secret("app/config.py", 11, "cc33");
  old.commit = "oldsha11";  // line 11 of an earlier commit's version, removed since
  auto out = fx.run(result_of({old}));
  CHECK(out.threads_created == 0);
  REQUIRE(out.outside_diff.size() == 1);
  CHECK(fx.api.threads().empty());
}

TEST_CASE("a finding that comes back reopens the thread the agent resolved") {
  Fixture fx;
  auto r = result_of({secret("app/config.py", 11, "aa11")});
  fx.run(r);
  fx.run(result_of({}));
  auto back = fx.run(r);
  CHECK(back.threads_reopened == 1);
  CHECK(back.threads_created == 0);
  CHECK_FALSE(fx.api.threads()[0]->notes.front().resolved);
}

TEST_CASE("a thread a person resolved stays resolved") {
  Fixture fx;
  auto r = result_of({secret("app/config.py", 11, "aa11")});
  fx.run(r);
  for (auto& n : fx.api.discussions[0].notes) n.resolved = true;
  auto out = fx.run(r);
  CHECK(out.writes == 0);
  CHECK(out.threads_existing == 1);
  CHECK(fx.api.discussions[0].notes.front().resolved);
}

TEST_CASE("threads of a control that did not run are left alone") {
  Fixture fx;
  auto r = result_of({secret("app/config.py", 11, "aa11")});
  fx.run(r);
  ScanResult deps_only;
  deps_only.controls = {"dependencies"};
  auto out = fx.run(deps_only);
  CHECK(out.threads_resolved == 0);
  CHECK_FALSE(fx.api.threads()[0]->notes.front().resolved);
}

TEST_CASE("a position GitLab refuses is listed in the summary instead, without an error") {
  Fixture fx;
  fx.diff["app/config.py"].added.insert(40);  // our diff says 40 is added; GitLab disagrees
  auto out = fx.run(result_of({secret("app/config.py", 40, "cc33")}));
  CHECK(out.threads_created == 0);
  CHECK(out.errors.empty());
  REQUIRE(out.not_inline.size() == 1);
  CHECK_THAT(fx.api.standalone_notes()[0]->body, ContainsSubstring("without an inline thread (1)"));
}

TEST_CASE("renamed files are positioned with their old path") {
  Fixture fx;
  fx.diff["app/config.py"].old_path = "app/settings.py";
  fx.run(result_of({secret("app/config.py", 12, "aa11")}));
  CHECK(fx.api.threads()[0]->notes.front().position->old_path == "app/settings.py");
}

TEST_CASE("without the existing threads nothing is posted inline") {
  Fixture fx;
  fx.api.fail = {"GET discussions"};
  auto out = fx.run(result_of({secret("app/config.py", 11, "aa11")}));
  CHECK(out.threads_created == 0);
  REQUIRE(out.errors.size() == 1);
  CHECK_THAT(out.errors[0], ContainsSubstring("threads"));
  CHECK(out.not_inline.size() == 1);
  CHECK(out.summary == "created");
}

TEST_CASE("a failing post is an error, and the rest still happens") {
  Fixture fx;
  fx.api.fail = {"POST discussion"};
  auto out = fx.run(result_of({secret("app/config.py", 11, "aa11")}));
  CHECK(out.errors.size() == 1);
  CHECK(out.summary == "created");
  fx.api.fail = {"POST note"};
  fx.api.discussions.clear();
  auto out2 = fx.run(result_of({}));
  CHECK(out2.summary == "failed");
  CHECK(out2.errors.size() == 1);
}

TEST_CASE("new threads per run are capped; the rest go to the summary") {
  Fixture fx;
  fx.options.max_new_threads = 2;
  auto out = fx.run(result_of({secret("app/config.py", 10, "a1"), secret("app/config.py", 11, "a2"),
                               secret("app/config.py", 12, "a3")}));
  CHECK(out.threads_created == 2);
  CHECK(out.not_inline.size() == 1);
  // Next run: the third one gets its thread.
  auto next = fx.run(result_of({secret("app/config.py", 10, "a1"), secret("app/config.py", 11, "a2"),
                                secret("app/config.py", 12, "a3")}));
  CHECK(next.threads_created == 1);
  CHECK(next.threads_existing == 2);
}

TEST_CASE("duplicate fingerprints get one thread") {
  Fixture fx;
  auto out = fx.run(result_of({secret("app/config.py", 10, "a1"), secret("app/config.py", 11, "a1")}));
  CHECK(out.threads_created == 1);
}

TEST_CASE("a summary marker in someone else's note: the agent posts its own") {
  Fixture fx;
  fx.api.add_foreign_note(std::string(kSummaryMarker) + "\nfake");
  auto out = fx.run(result_of({}));
  CHECK(out.summary == "created");
  CHECK(fx.api.standalone_notes().size() == 2);
  auto again = fx.run(result_of({}));
  CHECK(again.summary == "created");  // the foreign one is found first again, then ours is posted
  fx.api.discussions.erase(fx.api.discussions.begin());
  CHECK(fx.run(result_of({})).summary == "unchanged");
}

TEST_CASE("switches: no threads, no summary") {
  Fixture fx;
  fx.options.threads = false;
  fx.options.summary_note = false;
  auto out = fx.run(result_of({secret("app/config.py", 11, "aa11")}));
  CHECK(fx.api.calls.empty());
  CHECK(out.summary == "disabled");
  fx.options.summary_note = true;
  fx.run(result_of({secret("app/config.py", 11, "aa11")}));
  CHECK(fx.api.threads().empty());
  CHECK_THAT(fx.api.standalone_notes()[0]->body, ContainsSubstring("without an inline thread (1)"));
}

TEST_CASE("no MR versions: nothing inline, listed in the summary") {
  Fixture fx;
  fx.api.versions.clear();
  auto out = fx.run(result_of({secret("app/config.py", 11, "aa11")}));
  CHECK(out.threads_created == 0);
  CHECK(out.not_inline.size() == 1);
}

TEST_CASE("an answer lost after GitLab applied a post: read back, no duplicate, no error") {
  Fixture fx;
  fx.api.fail_once_after = {"POST discussion", "POST note"};
  auto out = fx.run(result_of({secret("app/config.py", 11, "aa11")}));
  CHECK(out.errors.empty());
  CHECK(out.threads_created == 1);
  CHECK(out.summary == "created");
  CHECK(fx.api.threads().size() == 1);
  CHECK(fx.api.standalone_notes().size() == 1);
}

TEST_CASE("a post that failed before GitLab applied it is sent once more") {
  Fixture fx;
  fx.api.fail_once = {"POST discussion", "POST note"};
  auto out = fx.run(result_of({secret("app/config.py", 11, "aa11")}));
  CHECK(out.errors.empty());
  CHECK(fx.api.threads().size() == 1);
  CHECK(fx.api.standalone_notes().size() == 1);
  CHECK(std::count(fx.api.calls.begin(), fx.api.calls.end(), "POST discussion") == 2);
}

TEST_CASE("a post that keeps failing is tried twice, then reported") {
  Fixture fx;
  fx.api.fail = {"POST discussion"};
  auto out = fx.run(result_of({secret("app/config.py", 11, "aa11")}));
  CHECK(out.errors.size() == 1);
  CHECK(std::count(fx.api.calls.begin(), fx.api.calls.end(), "POST discussion") == 2);
  CHECK(out.not_inline.size() == 1);
}

namespace {

Finding advisory(std::string id, Severity sev, std::string fixed, std::string version = "1.0.0") {
  Finding f;
  f.control = "dependencies";
  f.rule_id = id;
  f.severity = sev;
  f.path = "app/config.py";  // stands for the lockfile: its line 12 is one the MR adds
  f.line = 12;
  f.fingerprint = "d0" + std::to_string(std::hash<std::string>{}(id + version) % 100000);
  agent::findings::DependencyDetail d;
  d.package = "lib";
  d.version = std::move(version);
  d.ecosystem = "npm";
  d.advisory_id = std::move(id);
  d.summary = "Summary of " + d.advisory_id;
  d.fixed_version = std::move(fixed);
  d.lockfile = "app/config.py";
  f.dependency = std::move(d);
  return f;
}

void set_fix(std::vector<Finding>& list, const std::string& version, std::vector<std::string> resolves) {
  for (auto& f : list) {
    f.dependency->fix_version = version;
    f.dependency->fix_resolves = resolves;
  }
}

ScanResult deps_result(std::vector<Finding> list) {
  ScanResult r;
  r.findings = std::move(list);
  r.controls = {"dependencies"};
  return r;
}

}  // namespace

TEST_CASE("dependencies: one thread per vulnerable package, listing its advisories and the upgrade") {
  Fixture fx;
  std::vector<Finding> list = {advisory("GHSA-1", Severity::high, "1.2.0"), advisory("GHSA-2", Severity::low, "1.1.0"),
                               advisory("GHSA-3", Severity::medium, "")};
  set_fix(list, "1.2.0", {"GHSA-1", "GHSA-2"});
  auto out = fx.run(deps_result(list));
  CHECK(out.threads_created == 1);
  auto threads = fx.api.threads();
  REQUIRE(threads.size() == 1);
  const std::string& body = threads[0]->notes.front().body;
  CHECK_THAT(body, Catch::Matchers::StartsWith("<!-- jit-agent:fingerprint=" +
                                               agent::findings::package_group_key(*list[0].dependency)));
  CHECK_THAT(body, ContainsSubstring("**High** · **Vulnerable dependency**"));
  CHECK_THAT(body, ContainsSubstring("3 advisories affect this version"));
  CHECK_THAT(body, ContainsSubstring("**Upgrade to ` 1.2.0 `**"));
  CHECK_THAT(body, ContainsSubstring("1 stays open"));
  for (const char* id : {"GHSA-1", "GHSA-2", "GHSA-3"}) CHECK_THAT(body, ContainsSubstring(id));
  // The summary counts upgrades.
  auto notes = fx.api.standalone_notes();
  REQUIRE(notes.size() == 1);
  CHECK_THAT(notes[0]->body, ContainsSubstring("1 vulnerable package (3 advisories): 0 fixed by one upgrade, 1 partly"));

  // Same advisories again: nothing is written.
  int writes = fx.api.writes();
  auto again = fx.run(deps_result(list));
  CHECK(again.writes == 0);
  CHECK(fx.api.writes() == writes);
  CHECK(again.threads_existing == 1);

  // A new advisory for the same package and version: the thread is edited in place, not doubled.
  list.push_back(advisory("GHSA-4", Severity::critical, "1.3.0"));
  set_fix(list, "1.3.0", {"GHSA-1", "GHSA-2", "GHSA-4"});
  auto changed = fx.run(deps_result(list));
  CHECK(changed.threads_created == 0);
  CHECK(changed.threads_updated == 1);
  threads = fx.api.threads();
  REQUIRE(threads.size() == 1);
  CHECK_THAT(threads[0]->notes.front().body, ContainsSubstring("GHSA-4"));
  CHECK_THAT(threads[0]->notes.front().body, ContainsSubstring("**Critical**"));

  // The package upgraded to a clean version: its thread is resolved.
  auto gone = fx.run(deps_result({}));
  CHECK(gone.threads_resolved == 1);
}

TEST_CASE("dependencies: threads of one advisory each, from an older agent, are kept, not doubled") {
  Fixture fx;
  std::vector<Finding> list = {advisory("GHSA-1", Severity::high, "1.2.0"), advisory("GHSA-2", Severity::low, "1.1.0")};
  set_fix(list, "1.2.0", {"GHSA-1", "GHSA-2"});
  // What an older agent posted: one thread for GHSA-1 keyed by its fingerprint.
  agent::gitlab::Position p;
  p.base_sha = "basesha";
  p.start_sha = "startsha";
  p.head_sha = "headsha2";
  p.old_path = p.new_path = "app/config.py";
  p.new_line = 12;
  fx.api.create_discussion("7", 3, thread_body(list[0]), p);
  auto out = fx.run(deps_result(list));
  CHECK(out.threads_created == 0);
  CHECK(out.threads_existing == 1);
  CHECK(fx.api.threads().size() == 1);
  CHECK(out.threads_resolved == 0);
}
