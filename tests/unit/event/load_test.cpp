#include <catch2/catch_test_macros.hpp>

#include <filesystem>
#include <fstream>
#include <string>

#include "agent/event/ci_vars.h"
#include "agent/event/load.h"
#include "agent/util/error.h"

using namespace agent::event;
namespace fs = std::filesystem;
using Vars = std::map<std::string, std::string, std::less<>>;

namespace {

const std::string kSha = "e59094b8de0f2f91abbe4760a52d9137260252d8";
const std::string kSha2 = "da1560886d4f094c3e6c9ef40349f7d38b5d27d7";

std::string error_of(const Vars& vars) {
  try {
    load_event(Environment::from_map(vars));
  } catch (const agent::util::UsageError& e) {
    return e.what();
  }
  return "";
}

fs::path write_temp(const std::string& name, const std::string& content) {
  fs::path dir = fs::temp_directory_path() / "jit-event-load-test";
  fs::create_directories(dir);
  fs::path p = dir / name;
  std::ofstream(p) << content;
  return p;
}

Vars mr_pipeline() {
  return {{"CI_PIPELINE_SOURCE", "merge_request_event"},
          {"CI_SERVER_URL", "https://gl.example"},
          {"CI_PROJECT_ID", "9"},
          {"CI_PROJECT_PATH", "fork/p"},
          {"CI_MERGE_REQUEST_PROJECT_ID", "7"},
          {"CI_MERGE_REQUEST_PROJECT_PATH", "g/p"},
          {"CI_MERGE_REQUEST_PROJECT_URL", "https://gl.example/g/p"},
          {"CI_MERGE_REQUEST_IID", "12"},
          {"CI_MERGE_REQUEST_SOURCE_BRANCH_NAME", "feat"},
          {"CI_MERGE_REQUEST_TARGET_BRANCH_NAME", "main"},
          {"CI_MERGE_REQUEST_DIFF_BASE_SHA", kSha2},
          {"CI_MERGE_REQUEST_SOURCE_PROJECT_ID", "9"},
          {"CI_COMMIT_SHA", kSha},
          {"CI_COMMIT_BEFORE_SHA", std::string(40, '0')},
          {"CI_DEFAULT_BRANCH", "main"},
          {"GITLAB_USER_LOGIN", "dev"},
          {"GITLAB_USER_ID", "3"}};
}

}  // namespace

TEST_CASE("load_event: TRIGGER_PAYLOAD first, as a file path") {
  fs::path payload = write_temp("push.json",
      R"({"object_kind":"push","project":{"id":1,"path_with_namespace":"g/p"},"before":")" + kSha +
      R"(","after":")" + kSha2 + R"(","ref":"refs/heads/main"})");
  Vars vars = mr_pipeline();
  vars["TRIGGER_PAYLOAD"] = payload.string();
  vars["CI_PIPELINE_SOURCE"] = "trigger";
  vars["JIT_EVENT"] = R"({"version":1,"kind":"other"})";
  Event e = load_event(Environment::from_map(vars));
  CHECK(e.kind() == Kind::push);
  CHECK(e.source() == "TRIGGER_PAYLOAD (" + payload.string() + ")");
  CHECK(e.clone_url() == "https://gl.example/g/p.git");
}

TEST_CASE("load_event: a missing or broken TRIGGER_PAYLOAD file is a usage error naming it") {
  CHECK(error_of({{"TRIGGER_PAYLOAD", "/nonexistent/payload.json"}}).find("TRIGGER_PAYLOAD (/nonexistent/payload.json): not a readable file") == 0);
  fs::path bad = write_temp("bad.json", "{\"object_kind\": ");
  CHECK(error_of({{"TRIGGER_PAYLOAD", bad.string()}}).find("TRIGGER_PAYLOAD (" + bad.string() + "): not valid JSON") == 0);
  fs::path no_iid = write_temp("mr.json",
      R"({"object_kind":"merge_request","project":{"id":1,"path_with_namespace":"g/p"},"object_attributes":{"source_branch":"a"}})");
  CHECK(error_of({{"TRIGGER_PAYLOAD", no_iid.string()}}) ==
        "TRIGGER_PAYLOAD (" + no_iid.string() + "): /object_attributes/iid missing");
}

TEST_CASE("load_event: JIT_EVENT as JSON text or as a file") {
  std::string doc = R"({"version":1,"kind":"push","project":{"path":"g/p"},"push":{"after":")" + kSha + R"(","ref":"refs/heads/x"}})";
  Event inline_event = load_event(Environment::from_map({{"JIT_EVENT", doc}, {"CI_SERVER_URL", "https://gl.example"}}));
  CHECK(inline_event.source() == "JIT_EVENT");
  CHECK(inline_event.head_sha() == kSha);
  fs::path file = write_temp("jit.json", doc);
  Event from_file = load_event(Environment::from_map({{"JIT_EVENT", file.string()}}));
  CHECK(from_file.source() == "JIT_EVENT (" + file.string() + ")");
  CHECK(error_of({{"JIT_EVENT", "not json"}}) == "JIT_EVENT: neither a JSON object nor the path of an existing file");
}

TEST_CASE("load_event: a trigger-API request in TRIGGER_PAYLOAD defers to JIT_EVENT") {
  // What GitLab writes for `POST /projects/:id/trigger/pipeline` with variables[JIT_EVENT]=...
  std::string doc = R"({"version":1,"kind":"push","project":{"path":"g/p"},"push":{"after":")" + kSha + R"(","ref":"refs/heads/x"}})";
  fs::path request = write_temp("trigger-request.json",
      R"({"ref":"main","id":"42","variables":{"JIT_EVENT":"..."}})");
  Event e = load_event(Environment::from_map(
      {{"TRIGGER_PAYLOAD", request.string()}, {"JIT_EVENT", doc}, {"CI_SERVER_URL", "https://gl.example"}}));
  CHECK(e.source() == "JIT_EVENT");
  CHECK(e.head_sha() == kSha);
  // Without JIT_EVENT the same file is still read as a webhook, and is refused naming the field.
  CHECK(error_of({{"TRIGGER_PAYLOAD", request.string()}}).find("object_kind") != std::string::npos);
}

TEST_CASE("CI variables of an MR pipeline") {
  Event e = load_event(Environment::from_map(mr_pipeline()));
  CHECK(e.kind() == Kind::merge_request);
  // The MR's target project, not the fork the pipeline runs in.
  CHECK(e.project().id == 7);
  CHECK(e.project().path == "g/p");
  CHECK(e.clone_url() == "https://gl.example/g/p.git");
  CHECK(e.merge_request()->iid == 12);
  CHECK(e.merge_request()->head_sha == kSha);
  CHECK(e.merge_request()->diff_base_sha == kSha2);
  CHECK(e.merge_request()->source_project_id == 9);
  CHECK(e.merge_request()->url == "https://gl.example/g/p/-/merge_requests/12");
  CHECK(e.actor().username == "dev");
  CHECK(e.needs_scan());
  CHECK(e.source() == "CI variables (CI_PIPELINE_SOURCE=merge_request_event)");
}

TEST_CASE("CI variables of a merged-results pipeline use the source branch sha") {
  Vars vars = mr_pipeline();
  vars["CI_MERGE_REQUEST_EVENT_TYPE"] = "merged_result";
  vars["CI_MERGE_REQUEST_SOURCE_BRANCH_SHA"] = kSha2;
  CHECK(load_event(Environment::from_map(vars)).head_sha() == kSha2);
}

TEST_CASE("CI variables of push and tag pipelines") {
  Vars push = {{"CI_PIPELINE_SOURCE", "push"}, {"CI_SERVER_URL", "https://gl.example"}, {"CI_PROJECT_ID", "7"},
               {"CI_PROJECT_PATH", "g/p"}, {"CI_COMMIT_SHA", kSha}, {"CI_COMMIT_BEFORE_SHA", kSha2},
               {"CI_COMMIT_BRANCH", "main"}, {"CI_COMMIT_REF_NAME", "main"}, {"CI_DEFAULT_BRANCH", "main"}};
  Event e = load_event(Environment::from_map(push));
  CHECK(e.kind() == Kind::push);
  CHECK(e.push()->ref == "refs/heads/main");
  CHECK(e.push()->before == kSha2);
  CHECK(e.is_default_branch_push());
  Vars tag = push;
  tag.erase("CI_COMMIT_BRANCH");
  tag["CI_COMMIT_TAG"] = "v1.2";
  Event t = load_event(Environment::from_map(tag));
  CHECK(t.kind() == Kind::tag_push);
  CHECK(t.push()->ref == "refs/tags/v1.2");
}

TEST_CASE("CI variables: missing or wrong values are named") {
  Vars vars = mr_pipeline();
  vars.erase("CI_MERGE_REQUEST_IID");
  CHECK(error_of(vars) == "CI variables (CI_PIPELINE_SOURCE=merge_request_event): CI_MERGE_REQUEST_IID is not set");
  vars = mr_pipeline();
  vars["CI_COMMIT_SHA"] = "abc";
  CHECK(error_of(vars).find("CI_COMMIT_SHA is not a full commit sha") != std::string::npos);
  CHECK(error_of({{"CI_PIPELINE_SOURCE", "trigger"}}).find("TRIGGER_PAYLOAD is not set") != std::string::npos);
  CHECK(error_of({{"CI_PIPELINE_SOURCE", "chat"}}).find("CI_PIPELINE_SOURCE is \"chat\"") != std::string::npos);
  CHECK(error_of({}).find("no event to scan") == 0);
  CHECK_FALSE(event_from_ci_vars(Environment::from_map({})).has_value());
}
