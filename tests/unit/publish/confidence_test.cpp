// Low-confidence findings get no inline thread by default: the summary note lists them.
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <deque>

#include "agent/publish/markers.h"
#include "agent/publish/merge_request.h"
#include "agent/publish/render.h"
#include "fake_api.h"

using namespace agent::publish;
using agent::findings::Confidence;
using agent::findings::Finding;
using agent::findings::ScanResult;
using agent::findings::Severity;
using Catch::Matchers::ContainsSubstring;

namespace {

Finding secret(std::string path, int line, std::string fp, Confidence confidence) {
  Finding f;
  f.control = "secrets";
  f.rule_id = "netrc-password";
  f.rule_name = "Password in a .netrc file";
  f.severity = Severity::high;
  f.confidence = confidence;
  f.path = std::move(path);
  f.line = line;
  f.fingerprint = std::move(fp);
  f.secret = agent::findings::SecretDetail{"hun…", "00", "", 2.0};
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
    api.diff = {{".netrc", {1, 2, 3}}};
    diff[".netrc"] = ChangedFile{".netrc", {1, 2, 3}};
  }
  // The outcome points into the result: each one is kept as long as the fixture.
  std::deque<ScanResult> results;
  MergeRequestOutcome run(ScanResult r) {
    results.push_back(std::move(r));
    return publish_merge_request(api, target, results.back(), diff, options);
  }
};

}  // namespace

TEST_CASE("high and medium findings get threads, low ones a summary section", "[confidence]") {
  Fixture fx;
  auto out = fx.run(result_of({secret(".netrc", 1, "aa01", Confidence::high), secret(".netrc", 2, "aa02", Confidence::medium),
                               secret(".netrc", 3, "aa03", Confidence::low)}));
  CHECK(out.threads_created == 2);
  REQUIRE(out.low_confidence.size() == 1);
  CHECK(out.low_confidence[0]->fingerprint == "aa03");
  CHECK(out.not_inline.empty());
  auto threads = fx.api.threads();
  REQUIRE(threads.size() == 2);
  CHECK_THAT(threads[1]->notes.front().body, ContainsSubstring("medium confidence"));
  CHECK_THAT(threads[0]->notes.front().body, !ContainsSubstring("confidence"));
  auto notes = fx.api.standalone_notes();
  REQUIRE(notes.size() == 1);
  CHECK_THAT(notes[0]->body, ContainsSubstring("#### Low confidence (1)"));
  CHECK_THAT(notes[0]->body, ContainsSubstring(".netrc ` line 3 · "));
  CHECK_THAT(notes[0]->body, ContainsSubstring("· low confidence\n"));

  // A re-run changes nothing; the low finding's absence of a thread is not "gone".
  const int writes = fx.api.writes();
  auto again = fx.run(result_of({secret(".netrc", 1, "aa01", Confidence::high), secret(".netrc", 2, "aa02", Confidence::medium),
                                 secret(".netrc", 3, "aa03", Confidence::low)}));
  CHECK(again.writes == 0);
  CHECK(fx.api.writes() == writes);
}

TEST_CASE("thread_min_confidence decides which findings are threaded", "[confidence]") {
  Fixture fx;
  fx.options.thread_min_confidence = Confidence::low;
  auto out = fx.run(result_of({secret(".netrc", 3, "aa03", Confidence::low)}));
  CHECK(out.threads_created == 1);
  CHECK(out.low_confidence.empty());

  Fixture strict;
  strict.options.thread_min_confidence = Confidence::high;
  auto s = strict.run(result_of({secret(".netrc", 2, "aa02", Confidence::medium)}));
  CHECK(s.threads_created == 0);
  CHECK(s.low_confidence.size() == 1);
}

TEST_CASE("a thread opened before its finding became low confidence is not resolved", "[confidence]") {
  Fixture fx;
  fx.run(result_of({secret(".netrc", 3, "aa03", Confidence::high)}));
  auto out = fx.run(result_of({secret(".netrc", 3, "aa03", Confidence::low)}));
  CHECK(out.threads_resolved == 0);
  CHECK(out.low_confidence.size() == 1);
}

TEST_CASE("list lines and thread bodies name a confidence below high", "[confidence]") {
  SummaryInput in;
  auto low = secret(".netrc", 3, "aa03", Confidence::low);
  in.findings = {low};
  in.controls = {"secrets"};
  in.low_confidence = {&in.findings[0]};
  const std::string body = summary_body(in);
  CHECK_THAT(body, ContainsSubstring("#### Low confidence (1)"));
  CHECK_THAT(body, ContainsSubstring("weak passwords"));
  CHECK_THAT(thread_body(low), ContainsSubstring("· low confidence"));
}
