#include "agent/event/ci_vars.h"

#include <algorithm>
#include <array>
#include <string>

#include "agent/util/error.h"

namespace agent::event {
namespace {

class Vars {
 public:
  Vars(const Environment& env, std::string source) : env_(env), source_(std::move(source)) {}

  std::string opt(std::string_view name) const { return env_.get_or(name, ""); }
  std::string req(std::string_view name) const {
    std::string v = opt(name);
    if (v.empty()) fail(name, "is not set");
    return v;
  }
  std::string sha(std::string_view name, bool required) const {
    std::string v = required ? req(name) : opt(name);
    if (!v.empty() && !is_full_sha(v)) fail(name, "is not a full commit sha: \"" + v.substr(0, 64) + "\"");
    return v;
  }
  std::int64_t id(std::string_view name, bool required) const {
    std::string v = required ? req(name) : opt(name);
    if (v.empty()) return 0;
    try {
      std::size_t used = 0;
      std::int64_t n = std::stoll(v, &used);
      if (used == v.size() && n >= 0) return n;
    } catch (const std::exception&) {
    }
    fail(name, "is not a number: \"" + v + "\"");
  }
  [[noreturn]] void fail(std::string_view name, const std::string& problem) const {
    throw util::UsageError(source_ + ": " + std::string(name) + " " + problem);
  }
  const std::string& source() const { return source_; }

 private:
  const Environment& env_;
  std::string source_;
};

void read_merge_request(const Vars& v, EventData& d) {
  d.kind = Kind::merge_request;
  d.gitlab_kind = "merge_request";
  // In an MR pipeline CI_PROJECT_* may name the fork that runs it; the MR's target is the
  // project whose refs/merge-requests/<iid>/head exists.
  d.project.id = v.id("CI_MERGE_REQUEST_PROJECT_ID", false);
  if (!d.project.id) d.project.id = v.id("CI_PROJECT_ID", true);
  d.project.path = v.opt("CI_MERGE_REQUEST_PROJECT_PATH");
  if (d.project.path.empty()) d.project.path = v.req("CI_PROJECT_PATH");
  d.project.web_url = v.opt("CI_MERGE_REQUEST_PROJECT_URL");
  if (d.project.web_url.empty()) d.project.web_url = v.opt("CI_PROJECT_URL");
  MergeRequest mr;
  mr.iid = v.id("CI_MERGE_REQUEST_IID", true);
  mr.source_branch = v.req("CI_MERGE_REQUEST_SOURCE_BRANCH_NAME");
  mr.target_branch = v.req("CI_MERGE_REQUEST_TARGET_BRANCH_NAME");
  // Merged-results and merge-train pipelines run on a temporary merge commit (CI_COMMIT_SHA);
  // the MR's own head is CI_MERGE_REQUEST_SOURCE_BRANCH_SHA then.
  std::string type = v.opt("CI_MERGE_REQUEST_EVENT_TYPE");
  std::string source_sha = v.sha("CI_MERGE_REQUEST_SOURCE_BRANCH_SHA", false);
  mr.head_sha = (type == "merged_result" || type == "merge_train") && !source_sha.empty()
                    ? source_sha
                    : v.sha("CI_COMMIT_SHA", true);
  mr.diff_base_sha = v.sha("CI_MERGE_REQUEST_DIFF_BASE_SHA", false);
  mr.state = "opened";
  mr.source_project_id = v.id("CI_MERGE_REQUEST_SOURCE_PROJECT_ID", false);
  mr.title = v.opt("CI_MERGE_REQUEST_TITLE");
  if (!d.project.web_url.empty()) mr.url = d.project.web_url + "/-/merge_requests/" + std::to_string(mr.iid);
  d.merge_request = std::move(mr);
}

void read_push(const Vars& v, EventData& d) {
  d.project.id = v.id("CI_PROJECT_ID", true);
  d.project.path = v.req("CI_PROJECT_PATH");
  d.project.web_url = v.opt("CI_PROJECT_URL");
  Push p;
  p.after = v.sha("CI_COMMIT_SHA", true);
  p.before = v.sha("CI_COMMIT_BEFORE_SHA", false);
  if (std::string tag = v.opt("CI_COMMIT_TAG"); !tag.empty()) {
    d.kind = Kind::tag_push;
    d.gitlab_kind = "tag_push";
    p.ref = "refs/tags/" + tag;
  } else {
    d.kind = Kind::push;
    d.gitlab_kind = "push";
    std::string branch = v.opt("CI_COMMIT_BRANCH");
    if (branch.empty()) branch = v.req("CI_COMMIT_REF_NAME");
    p.ref = "refs/heads/" + branch;
  }
  p.checkout_sha = p.after;
  d.push = std::move(p);
}

}  // namespace

std::optional<Event> event_from_ci_vars(const Environment& env) {
  std::string pipeline_source = env.get_or("CI_PIPELINE_SOURCE", "");
  if (pipeline_source.empty()) return std::nullopt;
  Vars v(env, "CI variables (CI_PIPELINE_SOURCE=" + pipeline_source + ")");
  if (pipeline_source == "trigger")
    v.fail("TRIGGER_PAYLOAD", "is not set: a triggered pipeline must carry TRIGGER_PAYLOAD (a webhook "
                              "pointed at the trigger URL) or JIT_EVENT");

  EventData d;
  d.source = v.source();
  bool is_mr = pipeline_source == "merge_request_event" ||
               (pipeline_source == "parent_pipeline" && !v.opt("CI_MERGE_REQUEST_IID").empty());
  static constexpr std::array kBranchSources = {"push", "web", "schedule", "api", "parent_pipeline", "pipeline"};
  bool is_branch = std::find(kBranchSources.begin(), kBranchSources.end(), pipeline_source) != kBranchSources.end();
  if (is_mr)
    read_merge_request(v, d);
  else if (is_branch)
    read_push(v, d);
  else
    v.fail("CI_PIPELINE_SOURCE", "is \"" + pipeline_source +
                                     "\": jit-agent scans merge_request_event, push, web, schedule and api "
                                     "pipelines, or a TRIGGER_PAYLOAD/JIT_EVENT");

  d.project.default_branch = v.opt("CI_DEFAULT_BRANCH");
  d.actor = Actor{v.id("GITLAB_USER_ID", false), v.opt("GITLAB_USER_LOGIN"), v.opt("GITLAB_USER_NAME"), v.opt("GITLAB_USER_EMAIL")};
  d.server_url = v.req("CI_SERVER_URL");
  while (!d.server_url.empty() && d.server_url.back() == '/') d.server_url.pop_back();
  d.clone_url = clone_url_for(d.server_url, d.project.path);
  d.project.http_url = d.clone_url;
  return Event(std::move(d));
}

}  // namespace agent::event
