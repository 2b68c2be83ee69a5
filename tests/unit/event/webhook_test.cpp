#include <catch2/catch_test_macros.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "agent/event/webhook.h"
#include "agent/util/error.h"

using namespace agent::event;
namespace fs = std::filesystem;

namespace {

fs::path webhooks_dir() { return fs::path(JIT_SHARED_DATA_DIR) / "gitlab" / "webhooks"; }

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

Event load(const std::string& name, std::string_view server = "") {
  fs::path p = webhooks_dir() / name;
  return parse_webhook(slurp(p), "TRIGGER_PAYLOAD (" + p.string() + ")", server);
}

std::string rejection(const std::string& body) {
  try {
    parse_webhook(body, "TRIGGER_PAYLOAD (/tmp/x.json)", "");
  } catch (const agent::util::UsageError& e) {
    return e.what();
  }
  return "";
}

#define REQUIRE_SHARED_DATA()                                                              \
  if (!fs::is_directory(webhooks_dir())) SKIP("shared data absent: " << webhooks_dir())

}  // namespace

TEST_CASE("every documented webhook example loads, or is rejected for a named missing field") {
  REQUIRE_SHARED_DATA();
  // Expected outcome per file: the kind it loads as, or the field the error must name.
  const std::map<std::string, std::string> rejected = {
      {"merge_request_update_oldrev.partial.json", "/project missing"},
      {"merge_request_system_initiated.partial.json", "/project missing"},
      {"merge_request_rerequest_review.partial.json", "/project missing"},
      {"merge_request_reviewers.partial.json", "/object_kind missing"},
  };
  int loaded = 0, refused = 0;
  for (const fs::path& dir : {webhooks_dir(), webhooks_dir() / "legacy-017a6c12"}) {
    for (const auto& entry : fs::directory_iterator(dir)) {
      if (entry.path().extension() != ".json") continue;
      std::string name = entry.path().filename().string();
      INFO(entry.path());
      std::string body = slurp(entry.path());
      auto it = rejected.find(name);
      if (it != rejected.end()) {
        std::string message = rejection(body);
        CHECK(message.find(it->second) != std::string::npos);
        CHECK(message.find("TRIGGER_PAYLOAD (/tmp/x.json): ") == 0);
        ++refused;
        continue;
      }
      Event e = parse_webhook(body, "TRIGGER_PAYLOAD", "");
      CHECK_FALSE(e.gitlab_kind().empty());
      // Only merge requests, pushes and tag pushes are scans among the documented examples.
      bool scans = name.rfind("merge_request", 0) == 0 || name.rfind("push", 0) == 0 || name.rfind("tag_push", 0) == 0;
      CHECK(e.needs_scan() == scans);
      if (!e.needs_scan()) CHECK_FALSE(e.skip_reason().empty());
      ++loaded;
    }
  }
  CHECK(loaded == 42);  // 33 current + 13 legacy examples, 4 of them rejected
  CHECK(refused == 4);
}

TEST_CASE("merge request hook: target project, refs and shas") {
  REQUIRE_SHARED_DATA();
  Event e = load("merge_request.json", "https://gitlab.internal:8443/");
  CHECK(e.kind() == Kind::merge_request);
  CHECK(e.project().id == 2);
  CHECK(e.project().path == "flightjs/flight-management");
  CHECK(e.project().http_url == "http://gitlab.example.com/flightjs/flight-management.git");
  CHECK(e.project().default_branch == "main");
  // CI_SERVER_URL wins over the payload's external URL for cloning.
  CHECK(e.server_url() == "https://gitlab.internal:8443");
  CHECK(e.clone_url() == "https://gitlab.internal:8443/flightjs/flight-management.git");
  REQUIRE(e.merge_request());
  const MergeRequest& mr = *e.merge_request();
  CHECK(mr.iid == 16);
  CHECK(mr.source_branch == "feature/booking-validation");
  CHECK(mr.target_branch == "main");
  CHECK(mr.head_sha == "e59094b8de0f2f91abbe4760a52d9137260252d8");
  CHECK(mr.action == "open");
  CHECK(mr.state == "opened");
  CHECK(mr.has_new_commits());
  CHECK(e.head_sha() == mr.head_sha);
  CHECK(e.head_ref() == "refs/merge-requests/16/head");
  CHECK(e.actor().username == "agarcia");
  CHECK(e.actor().id == 1);
  CHECK(e.needs_scan());
  CHECK(e.describe().find("merge_request !16 flightjs/flight-management (open)") == 0);
}

TEST_CASE("without CI_SERVER_URL the payload's git_http_url is cloned") {
  REQUIRE_SHARED_DATA();
  Event e = load("legacy-017a6c12/merge_request.json");
  CHECK(e.clone_url() == "http://example.com/gitlabhq/gitlab-test.git");
  CHECK(e.server_url() == "http://example.com");
  CHECK(e.merge_request()->iid == 1);
  CHECK(e.merge_request()->source_project_id == 14);
  CHECK(e.merge_request()->head_sha == "da1560886d4f094c3e6c9ef40349f7d38b5d27d7");
}

TEST_CASE("push and tag push hooks, current and legacy") {
  REQUIRE_SHARED_DATA();
  for (std::string name : {"push.json", "legacy-017a6c12/push.json"}) {
    INFO(name);
    Event e = load(name);
    CHECK(e.kind() == Kind::push);
    REQUIRE(e.push());
    CHECK(e.push()->before == "95790bf891e76fee5e1747ab589903a6a1f80f22");
    CHECK(e.push()->after == "da1560886d4f094c3e6c9ef40349f7d38b5d27d7");
    CHECK(e.push()->short_ref() == "master");
    CHECK(e.head_ref() == "refs/heads/master");
    CHECK(e.project().id == 15);
    CHECK(e.actor().username == "jsmith");
    CHECK(e.is_default_branch_push());
    CHECK(e.needs_scan());
  }
  Event tag = load("tag_push.json");
  CHECK(tag.kind() == Kind::tag_push);
  CHECK(tag.push()->is_tag());
  CHECK(tag.push()->creates());
  CHECK_FALSE(tag.is_default_branch_push());
  CHECK(tag.head_sha() == "82b3d5ae55f7080f1e6022629cdb57bfae7cccc7");
  // The legacy tag push has no user_username: the actor is known by id only.
  Event legacy = load("legacy-017a6c12/tag_push.json");
  CHECK(legacy.actor().id == 1);
  CHECK(legacy.actor().username.empty());
}

TEST_CASE("notes: only commands on merge request threads are kept") {
  REQUIRE_SHARED_DATA();
  Event plain = load("note_merge_request.json");
  CHECK(plain.kind() == Kind::note);
  REQUIRE(plain.note());
  CHECK(plain.note()->noteable_type == "MergeRequest");
  CHECK(plain.note()->merge_request_iid == 1);
  CHECK(plain.merge_request()->head_sha == "562e173be03b8ff2efb05345d12df18815438a4b");
  CHECK(plain.skip_reason().find("not a jit command") != std::string::npos);

  std::string body = slurp(webhooks_dir() / "note_merge_request.json");
  auto pos = body.find("This MR needs work.");
  std::string command = body;
  command.replace(pos, std::string("This MR needs work.").size(), "  #jit_ignore_fp test fixture, not a key");
  Event cmd = parse_webhook(command, "TRIGGER_PAYLOAD", "");
  CHECK(cmd.needs_scan());
  CHECK(cmd.note()->command == NoteCommand::ignore_fp);
  CHECK(cmd.note()->reason == "test fixture, not a key");
  CHECK(cmd.head_ref() == "refs/merge-requests/1/head");

  for (std::string name : {"note_commit.json", "note_issue.json", "note_snippet.json"}) {
    INFO(name);
    Event e = load(name);
    CHECK(e.kind() == Kind::note);
    CHECK_FALSE(e.needs_scan());
    CHECK_FALSE(e.merge_request());
  }
  // A command on a commit note is still not processed: there is no MR thread to act on.
  std::string commit_note = slurp(webhooks_dir() / "note_commit.json");
  auto note_pos = commit_note.find("\"note\": \"");
  REQUIRE(note_pos != std::string::npos);
  commit_note.insert(note_pos + 9, "#jit_undo_ignore ");
  Event on_commit = parse_webhook(commit_note, "TRIGGER_PAYLOAD", "");
  CHECK(on_commit.note()->command == NoteCommand::undo_ignore);
  CHECK(on_commit.skip_reason().find("merge request threads only") != std::string::npos);
}

TEST_CASE("group and other events load with a skip reason") {
  REQUIRE_SHARED_DATA();
  Event sub = load("subgroup_create.json");
  CHECK(sub.kind() == Kind::subgroup);
  CHECK(sub.gitlab_kind() == "subgroup_create");
  CHECK_FALSE(sub.needs_scan());
  Event project = load("project_create.json");
  CHECK(project.kind() == Kind::project);
  CHECK(project.project().id == 22);
  CHECK(project.project().path == "group1/project1");
  CHECK_FALSE(project.needs_scan());
  Event dep = load("deployment.json");
  CHECK(dep.kind() == Kind::deployment);
  REQUIRE(dep.deployment());
  CHECK(dep.deployment()->sha == "279484c09fbe69ededfced8c1bb6e6d24616b468");
  CHECK(dep.deployment()->environment == "staging");
  CHECK_FALSE(dep.needs_scan());
  Event issue = load("issue.json");
  CHECK(issue.kind() == Kind::other);
  CHECK(issue.skip_reason() == "issue events need no code scan");
  Event job = load("job.json");
  CHECK(job.skip_reason() == "build events need no code scan");
  Event member = load("member_user_add_to_group.json");
  CHECK(member.gitlab_kind() == "user_add_to_group");
  CHECK_FALSE(member.needs_scan());
}
