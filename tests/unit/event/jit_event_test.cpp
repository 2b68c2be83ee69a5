#include <catch2/catch_test_macros.hpp>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <string>

#include "agent/event/jit_event.h"
#include "agent/util/error.h"

using namespace agent::event;
using nlohmann::json;

namespace {

const std::string kSha = "e59094b8de0f2f91abbe4760a52d9137260252d8";

json mr_event() {
  return {{"version", 1},
          {"kind", "merge_request"},
          {"project", {{"id", 2}, {"path", "g/p"}, {"default_branch", "main"}}},
          {"merge_request",
           {{"iid", 16}, {"source_branch", "feat"}, {"target_branch", "main"}, {"head_sha", kSha}, {"action", "open"}}},
          {"actor", {{"id", 1}, {"username", "dev"}}}};
}

std::string error_of(const json& doc) {
  try {
    parse_jit_event(doc.dump(), "JIT_EVENT", "");
  } catch (const agent::util::UsageError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("JIT_EVENT: a merge request event") {
  Event e = parse_jit_event(mr_event().dump(), "JIT_EVENT", "https://gl.example");
  CHECK(e.kind() == Kind::merge_request);
  CHECK(e.project().path == "g/p");
  CHECK(e.clone_url() == "https://gl.example/g/p.git");
  CHECK(e.merge_request()->iid == 16);
  CHECK(e.head_sha() == kSha);
  CHECK(e.head_ref() == "refs/merge-requests/16/head");
  CHECK(e.actor().username == "dev");
  CHECK(e.needs_scan());
  CHECK(e.source() == "JIT_EVENT");
}

TEST_CASE("JIT_EVENT: the event's own server_url, then http_url") {
  json doc = mr_event();
  doc["server_url"] = "https://git.corp:8443/";
  CHECK(parse_jit_event(doc.dump(), "JIT_EVENT", "https://ignored").clone_url() == "https://git.corp:8443/g/p.git");
  json only_http = mr_event();
  only_http["project"]["http_url"] = "https://mirror.example/g/p.git";
  Event e = parse_jit_event(only_http.dump(), "JIT_EVENT", "");
  CHECK(e.clone_url() == "https://mirror.example/g/p.git");
  CHECK(e.server_url() == "https://mirror.example");
}

TEST_CASE("JIT_EVENT round-trips through to_jit_event") {
  Event a = parse_jit_event(mr_event().dump(), "JIT_EVENT", "https://gl.example");
  Event b = parse_jit_event(to_jit_event(a), "JIT_EVENT", "");
  CHECK(to_jit_event(a, 2) == to_jit_event(b, 2));
  CHECK(b.clone_url() == a.clone_url());

  json note = {{"version", 1},
               {"kind", "note"},
               {"project", {{"id", 5}, {"path", "g/p"}}},
               {"note", {{"body", "#jit_ignore_accept until the rotation"}, {"noteable_type", "MergeRequest"},
                         {"merge_request_iid", 4}, {"discussion_id", "abc"}}}};
  Event n = parse_jit_event(note.dump(), "JIT_EVENT", "https://gl.example");
  CHECK(n.note()->command == NoteCommand::ignore_accept);
  CHECK(n.note()->reason == "until the rotation");
  CHECK(n.merge_request()->iid == 4);
  CHECK(n.needs_scan());
  Event n2 = parse_jit_event(to_jit_event(n), "JIT_EVENT", "");
  CHECK(n2.note()->discussion_id == "abc");
  CHECK(n2.merge_request()->iid == 4);
}

TEST_CASE("JIT_EVENT: errors name the field") {
  json d = mr_event();
  d["merge_request"].erase("head_sha");
  CHECK(error_of(d) == "JIT_EVENT: /merge_request/head_sha missing");
  d = mr_event();
  d["version"] = 2;
  CHECK(error_of(d).find("JIT_EVENT: /version is 2;") == 0);
  d = mr_event();
  d["kind"] = "pull_request";
  CHECK(error_of(d).find("JIT_EVENT: /kind is \"pull_request\"") == 0);
  d = mr_event();
  d["merge_requst"] = json::object();
  CHECK(error_of(d) == "JIT_EVENT: /merge_requst is not a known field");
  d = mr_event();
  d["project"]["pth"] = "x";
  CHECK(error_of(d) == "JIT_EVENT: /project/pth is not a known field");
  d = mr_event();
  d.erase("project");
  CHECK(error_of(d) == "JIT_EVENT: /project missing");
  json push = {{"version", 1}, {"kind", "push"}, {"project", {{"path", "g/p"}}}, {"push", {{"after", kSha}, {"ref", "main"}}}};
  CHECK(error_of(push).find("JIT_EVENT: /push/ref must be a full ref name") == 0);
  json note = {{"version", 1}, {"kind", "note"}, {"project", {{"path", "g/p"}}},
               {"note", {{"body", "#jit_ignore_fp"}, {"noteable_type", "MergeRequest"}}}};
  CHECK(error_of(note) == "JIT_EVENT: /note/merge_request_iid missing");
  CHECK(error_of(json{{"version", 1}}) == "JIT_EVENT: /kind missing");
}

TEST_CASE("JIT_EVENT: kinds that need no scan load with a reason") {
  json d = {{"version", 1}, {"kind", "other"}, {"gitlab_kind", "pipeline"}};
  Event e = parse_jit_event(d.dump(), "JIT_EVENT", "");
  CHECK(e.skip_reason() == "pipeline events need no code scan");
  json del = {{"version", 1}, {"kind", "push"}, {"project", {{"path", "g/p"}}},
              {"push", {{"before", kSha}, {"after", std::string(40, '0')}, {"ref", "refs/heads/x"}}}};
  CHECK(parse_jit_event(del.dump(), "JIT_EVENT", "").skip_reason() == "branch deleted");
}

TEST_CASE("the schema's examples are accepted by the parser") {
  std::filesystem::path schema_path = std::filesystem::path(JIT_AGENT_SOURCE_DIR) / "schemas" / "jit-event.schema.json";
  std::ifstream in(schema_path);
  REQUIRE(in);
  json schema = json::parse(in);
  REQUIRE(schema["examples"].size() >= 3);
  for (const auto& example : schema["examples"]) {
    INFO(example.dump());
    Event e = parse_jit_event(example.dump(), "JIT_EVENT", "https://gl.example");
    CHECK(e.needs_scan());
    // Round trip stays within the schema's vocabulary: same top-level keys or fewer.
    json again = json::parse(to_jit_event(e));
    for (auto it = again.begin(); it != again.end(); ++it) CHECK(schema["properties"].contains(it.key()));
  }
}
