#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include "agent/job/combine.h"
#include "agent/util/error.h"

using namespace agent::job;
using agent::findings::Finding;
using Catch::Matchers::ContainsSubstring;

namespace {

Finding finding(std::string path, int line, std::string fp) {
  Finding f;
  f.control = "secrets";
  f.rule_id = "r";
  f.path = std::move(path);
  f.line = line;
  f.fingerprint = std::move(fp);
  return f;
}

LoadedPartial shard(int i, int n, std::string head = std::string(40, 'a')) {
  LoadedPartial p;
  p.origin = "jit-partial-" + std::to_string(i) + "-of-" + std::to_string(n) + ".json";
  p.partial.shard = {i, n};
  p.partial.event = {"push", 7, "group/app", head, 0};
  p.partial.mode = "full tree";
  p.partial.result.commit_sha = head;
  return p;
}

std::string refusal(const std::vector<LoadedPartial>& partials) {
  try {
    check_complete(partials);
  } catch (const agent::util::Error& e) {
    CHECK(e.code() == agent::job::kExitShards);
    return e.what();
  }
  return "accepted";
}

}  // namespace

TEST_CASE("merge accepts exactly shards 1..N of one event") {
  CHECK(refusal({shard(2, 3), shard(1, 3), shard(3, 3)}) == "accepted");
  CHECK_THAT(refusal({}), ContainsSubstring("no partial results"));
  CHECK_THAT(refusal({shard(1, 3), shard(3, 3)}), ContainsSubstring("missing partial results of shard 2 of 3"));
  CHECK_THAT(refusal({shard(1, 3)}), ContainsSubstring("shards 2, 3 of 3"));
  CHECK_THAT(refusal({shard(1, 2), shard(2, 3)}), ContainsSubstring("of 2 shards"));
  CHECK_THAT(refusal({shard(1, 2), shard(1, 2)}), ContainsSubstring("twice"));
  CHECK_THAT(refusal({shard(1, 2), shard(2, 2, std::string(40, 'b'))}), ContainsSubstring("the branch moved"));
  auto other = shard(2, 2);
  other.partial.event.project_path = "group/other";
  CHECK_THAT(refusal({shard(1, 2), other}), ContainsSubstring("group/other"));
  auto config = shard(2, 2);
  config.partial.repo_config = "threads: false\n";
  CHECK_THAT(refusal({shard(1, 2), config}), ContainsSubstring("disagrees"));
  CHECK_THAT(refusal({shard(1, 2), shard(2, 2)}), !ContainsSubstring("nothing"));
  CHECK_THAT(refusal({shard(1, 2)}), ContainsSubstring("nothing written or posted"));
}

TEST_CASE("combine: findings deduplicated across shards and sorted, counters summed, lists unioned") {
  auto a = shard(1, 2), b = shard(2, 2);
  a.partial.result.findings = {finding("z.py", 1, "f1"), finding("m.py", 2, "f2")};
  b.partial.result.findings = {finding("a.py", 5, "f3"), finding("z.py", 1, "f1"), finding("a.py", 5, "f3")};
  a.partial.result.stats.files_scanned = 3;
  b.partial.result.stats.files_scanned = 4;
  a.partial.result.stats.bytes_scanned = 10;
  b.partial.result.stats.suppressed = 2;
  a.partial.result.warnings = {"w1", "w2"};
  b.partial.result.warnings = {"w2", "w3"};
  a.partial.result.controls = {"secrets", "dependencies"};
  b.partial.result.controls = {"secrets", "dependencies", "bandit"};
  a.partial.result.skipped_controls = {{"bandit", "no Python files", ""}, {"kics", "no IaC", ""}};
  b.partial.result.skipped_controls = {{"kics", "no IaC", ""}};
  b.partial.result.errored_controls = {{"semgrep", "timed out", "svc"}};
  a.partial.result.start_time = std::chrono::system_clock::time_point(std::chrono::seconds(100));
  a.partial.result.end_time = std::chrono::system_clock::time_point(std::chrono::seconds(150));
  b.partial.result.start_time = std::chrono::system_clock::time_point(std::chrono::seconds(90));
  b.partial.result.end_time = std::chrono::system_clock::time_point(std::chrono::seconds(140));
  a.partial.sboms = {{"requirements.txt", "/", "requirements.txt", {}}};
  b.partial.sboms = {{"web/package-lock.json", "/web", "package-lock.json v3", {}}};
  a.partial.diff = agent::publish::DiffIndex{{"z.py", {"z.py", {1}}}};
  b.partial.diff = agent::publish::DiffIndex{{"a.py", {"a.py", {5, 6}}}};

  Combined c = combine({b, a});  // any order
  const auto& r = c.result;
  REQUIRE(r.findings.size() == 4);  // f1 once; f3 twice (one shard reported it twice: as one job would)
  CHECK(r.findings[0].path == "a.py");
  CHECK(r.findings[1].path == "a.py");
  CHECK(r.findings[2].path == "m.py");
  CHECK(r.findings[3].path == "z.py");
  CHECK(r.stats.files_scanned == 7);
  CHECK(r.stats.bytes_scanned == 10);
  CHECK(r.stats.suppressed == 2);
  CHECK(r.warnings == std::vector<std::string>{"w1", "w2", "w3"});
  CHECK(r.controls == std::vector<std::string>{"secrets", "dependencies", "bandit"});
  REQUIRE(r.skipped_controls.size() == 1);  // bandit ran in shard 2
  CHECK(r.skipped_controls[0].control == "kics");
  REQUIRE(r.errored_controls.size() == 1);
  CHECK(r.start_time == std::chrono::system_clock::time_point(std::chrono::seconds(90)));
  CHECK(r.end_time == std::chrono::system_clock::time_point(std::chrono::seconds(150)));
  CHECK(r.commit_sha == std::string(40, 'a'));
  CHECK(c.sboms.size() == 2);
  REQUIRE(c.diff);
  CHECK(c.diff->size() == 2);
}
