#include <catch2/catch_test_macros.hpp>

#include <nlohmann/json.hpp>

#include <string>

#include "agent/event/event.h"
#include "agent/event/webhook.h"
#include "agent/util/error.h"

using namespace agent::event;
using nlohmann::json;

namespace {

const std::string kSha1 = "e59094b8de0f2f91abbe4760a52d9137260252d8";
const std::string kSha2 = "da1560886d4f094c3e6c9ef40349f7d38b5d27d7";
const std::string kZeros(40, '0');

json project() {
  return {{"id", 7}, {"path_with_namespace", "g/p"}, {"git_http_url", "https://gl.example/g/p.git"},
          {"default_branch", "main"}};
}

json mr_hook(const std::string& action, const std::string& state) {
  json attrs = {{"iid", 3}, {"source_branch", "feat"}, {"target_branch", "main"},
                {"last_commit", {{"id", kSha2}}}, {"action", action}, {"state", state}};
  return {{"object_kind", "merge_request"}, {"project", project()}, {"object_attributes", attrs},
          {"user", {{"id", 1}, {"username", "dev"}}}};
}

json push_hook(const std::string& before, const std::string& after, const std::string& ref) {
  return {{"object_kind", "push"}, {"project", project()}, {"before", before}, {"after", after},
          {"ref", ref}, {"checkout_sha", nullptr}, {"user_id", 4}, {"user_username", "dev"}};
}

Event parse(const json& doc) { return parse_webhook(doc.dump(), "TRIGGER_PAYLOAD (/tmp/x.json)", ""); }

std::string error_of(const json& doc) {
  try {
    parse(doc);
  } catch (const agent::util::UsageError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("merge request skip rules") {
  CHECK(parse(mr_hook("open", "opened")).needs_scan());
  CHECK(parse(mr_hook("reopen", "opened")).needs_scan());
  CHECK(parse(mr_hook("merge", "merged")).skip_reason() == "merge request is merged");
  CHECK(parse(mr_hook("close", "closed")).skip_reason() == "merge request is closed");
  CHECK(parse(mr_hook("approved", "opened")).skip_reason() == "merge request approved event changes no code");
  // `update` scans only when it carries oldrev (new commits were pushed).
  CHECK(parse(mr_hook("update", "opened")).skip_reason() == "merge request update without new commits");
  json with_oldrev = mr_hook("update", "opened");
  with_oldrev["object_attributes"]["oldrev"] = kSha1;
  Event e = parse(with_oldrev);
  CHECK(e.needs_scan());
  CHECK(e.merge_request()->oldrev == kSha1);
}

TEST_CASE("push skip rules: deletions skip, creations scan") {
  Event deleted = parse(push_hook(kSha1, kZeros, "refs/heads/feat"));
  CHECK(deleted.skip_reason() == "branch deleted");
  CHECK(deleted.push()->deletes());
  Event created = parse(push_hook(kZeros, kSha1, "refs/heads/feat"));
  CHECK(created.needs_scan());
  CHECK(created.push()->creates());
  CHECK_FALSE(created.is_default_branch_push());
  json tag = push_hook(kSha1, kZeros, "refs/tags/v1");
  tag["object_kind"] = "tag_push";
  CHECK(parse(tag).skip_reason() == "tag deleted");
}

TEST_CASE("an event can be marked skipped without changing the original") {
  Event e = parse(mr_hook("open", "opened"));
  Event excluded = e.with_skip_reason("project g/p is excluded by configuration");
  CHECK(e.needs_scan());
  CHECK(excluded.skip_reason() == "project g/p is excluded by configuration");
  CHECK(excluded.merge_request()->iid == 3);
}

TEST_CASE("note commands") {
  CHECK(parse_note_command("#jit_ignore_fp") == NoteCommand::ignore_fp);
  CHECK(parse_note_command("  #JIT_IGNORE_ACCEPT accepted until Q3") == NoteCommand::ignore_accept);
  CHECK(parse_note_command("#jit_undo_ignore\nplease") == NoteCommand::undo_ignore);
  CHECK(parse_note_command("#jit_ignore_fpx") == NoteCommand::none);
  CHECK(parse_note_command("looks good, #jit_ignore_fp") == NoteCommand::none);
  CHECK(parse_note_command("") == NoteCommand::none);
}

TEST_CASE("malformed payloads name the source and the field") {
  CHECK(error_of(json::array()) == "TRIGGER_PAYLOAD (/tmp/x.json): the document must be a JSON object (got array)");
  json no_iid = mr_hook("open", "opened");
  no_iid["object_attributes"].erase("iid");
  CHECK(error_of(no_iid) == "TRIGGER_PAYLOAD (/tmp/x.json): /object_attributes/iid missing");
  json bad_iid = mr_hook("open", "opened");
  bad_iid["object_attributes"]["iid"] = "sixteen";
  CHECK(error_of(bad_iid) == "TRIGGER_PAYLOAD (/tmp/x.json): /object_attributes/iid must be an integer (got string)");
  json bad_sha = mr_hook("open", "opened");
  bad_sha["object_attributes"]["last_commit"]["id"] = "e59094b";
  CHECK(error_of(bad_sha).find("/object_attributes/last_commit/id must be a full commit sha") != std::string::npos);
  json no_path = push_hook(kSha1, kSha2, "refs/heads/x");
  no_path["project"].erase("path_with_namespace");
  CHECK(error_of(no_path) == "TRIGGER_PAYLOAD (/tmp/x.json): /project/path_with_namespace missing");
  json null_after = push_hook(kSha1, kSha2, "refs/heads/x");
  null_after["after"] = nullptr;
  CHECK(error_of(null_after) == "TRIGGER_PAYLOAD (/tmp/x.json): /after missing");
  CHECK(error_of(json{{"object_kind", 5}}) == "TRIGGER_PAYLOAD (/tmp/x.json): /object_kind must be a string (got integer)");
}

TEST_CASE("invalid JSON reports line and column") {
  try {
    parse_webhook("{\n  \"object_kind\": \"push\",\n  oops\n}", "TRIGGER_PAYLOAD (/tmp/x.json)", "");
    FAIL("no error");
  } catch (const agent::util::UsageError& e) {
    std::string m = e.what();
    CHECK(m.find("TRIGGER_PAYLOAD (/tmp/x.json): not valid JSON (line 3, column 3)") == 0);
  }
  CHECK_THROWS_AS(parse_webhook("", "TRIGGER_PAYLOAD", ""), agent::util::UsageError);
}

TEST_CASE("sha and URL helpers") {
  CHECK(is_null_sha(kZeros));
  CHECK_FALSE(is_null_sha(kSha1));
  CHECK(is_full_sha(kSha1));
  CHECK_FALSE(is_full_sha("e59094b"));
  CHECK(clone_url_for("https://gl.example/", "/g/sub/p") == "https://gl.example/g/sub/p.git");
  CHECK(server_of("https://user:pw@gl.example:8443/g/p.git") == "https://gl.example:8443");
  CHECK(server_of("not a url").empty());
  CHECK(parse_kind("tag_push") == Kind::tag_push);
  CHECK_FALSE(parse_kind("nope").has_value());
}
