#include "agent/event/webhook.h"

#include <nlohmann/json.hpp>

#include "agent/event/json_fields.h"

namespace agent::event {
namespace {

// The target project: `project` in every current payload (legacy ones too); `project_id` at the
// top level is a fallback for the id only.
Project read_project(const JsonFields& f) {
  f.object("/project");
  Project p;
  p.id = f.has("/project/id") ? f.integer("/project/id") : f.integer("/project_id");
  p.path = f.str("/project/path_with_namespace");
  p.http_url = f.opt_str("/project/git_http_url");
  if (p.http_url.empty()) p.http_url = f.opt_str("/project/http_url");
  p.web_url = f.opt_str("/project/web_url");
  p.default_branch = f.opt_str("/project/default_branch");
  return p;
}

Actor read_user(const JsonFields& f) {
  std::string email = f.opt_str("/user/email");
  if (email.find('@') == std::string::npos) email.clear();  // "[REDACTED]" since GitLab 16
  return Actor{f.opt_int("/user/id"), f.opt_str("/user/username"), f.opt_str("/user/name"), email};
}

// `prefix` is "/object_attributes" (MR events) or "/merge_request" (notes on an MR).
MergeRequest read_merge_request(const JsonFields& f, const std::string& prefix, bool need_head) {
  MergeRequest mr;
  mr.iid = f.integer(prefix + "/iid");
  mr.source_branch = f.str(prefix + "/source_branch");
  mr.target_branch = f.str(prefix + "/target_branch");
  mr.head_sha = need_head ? f.sha(prefix + "/last_commit/id") : f.opt_sha(prefix + "/last_commit/id");
  mr.state = f.opt_str(prefix + "/state");
  mr.source_project_id = f.opt_int(prefix + "/source_project_id");
  mr.title = f.opt_str(prefix + "/title");
  mr.url = f.opt_str(prefix + "/url");
  return mr;
}

void read_merge_request_event(const JsonFields& f, EventData& d) {
  d.project = read_project(f);
  f.object("/object_attributes");
  MergeRequest mr = read_merge_request(f, "/object_attributes", true);
  mr.action = f.opt_str("/object_attributes/action");
  mr.oldrev = f.opt_sha("/object_attributes/oldrev");
  d.merge_request = std::move(mr);
  d.actor = read_user(f);
}

void read_push_event(const JsonFields& f, EventData& d) {
  d.project = read_project(f);
  Push p;
  p.before = f.sha("/before");
  p.after = f.sha("/after");
  p.ref = f.str("/ref");
  p.checkout_sha = f.opt_sha("/checkout_sha");
  d.push = std::move(p);
  d.actor = Actor{f.opt_int("/user_id"), f.opt_str("/user_username"), f.opt_str("/user_name"), ""};
}

void read_note_event(const JsonFields& f, EventData& d) {
  d.project = read_project(f);
  f.object("/object_attributes");
  Note n;
  n.id = f.opt_int("/object_attributes/id");
  n.body = f.opt_str("/object_attributes/note");
  if (!f.has("/object_attributes/note")) f.fail("/object_attributes/note", "missing");
  n.noteable_type = f.str("/object_attributes/noteable_type");
  n.discussion_id = f.opt_str("/object_attributes/discussion_id");
  n.system = f.opt_bool("/object_attributes/system");
  if (n.noteable_type == "MergeRequest") {
    f.object("/merge_request");
    MergeRequest mr = read_merge_request(f, "/merge_request", false);
    n.merge_request_iid = mr.iid;
    d.merge_request = std::move(mr);
  }
  d.note = std::move(n);
  d.actor = read_user(f);
}

void read_deployment_event(const JsonFields& f, EventData& d) {
  d.project = read_project(f);
  Deployment dep;
  dep.id = f.opt_int("/deployment_id");
  dep.status = f.opt_str("/status");
  dep.environment = f.opt_str("/environment");
  // The payload names the commit only inside commit_url (".../-/commit/<sha>").
  std::string url = f.opt_str("/commit_url");
  auto slash = url.rfind('/');
  if (slash != std::string::npos && is_full_sha(url.substr(slash + 1))) dep.sha = url.substr(slash + 1);
  d.deployment = std::move(dep);
  d.actor = read_user(f);
}

// Group-level project events carry the project flat at the top level.
void read_project_event(const JsonFields& f, EventData& d) {
  d.project.id = f.opt_int("/project_id");
  d.project.path = f.opt_str("/path_with_namespace");
}

}  // namespace

Event parse_webhook(std::string_view body, std::string_view source, std::string_view server_url) {
  nlohmann::json doc = parse_json_object(body, source);
  return parse_webhook_json(doc, source, server_url);
}

Event parse_webhook_json(const nlohmann::json& doc, std::string_view source, std::string_view server_url) {
  JsonFields f(doc, std::string(source));
  EventData d;
  d.source = std::string(source);
  // object_kind is the dispatch key of project hooks; group-only events (subgroup_*, project_*,
  // member events) have only event_name.
  std::string kind = f.opt_str("/object_kind");
  if (kind.empty()) kind = f.opt_str("/event_name");
  if (kind.empty())
    f.fail("/object_kind", "missing (and no /event_name): not a GitLab webhook body");
  d.gitlab_kind = kind;

  if (kind == "merge_request") {
    d.kind = Kind::merge_request;
    read_merge_request_event(f, d);
  } else if (kind == "push" || kind == "tag_push") {
    d.kind = kind == "push" ? Kind::push : Kind::tag_push;
    read_push_event(f, d);
  } else if (kind == "note") {
    d.kind = Kind::note;
    read_note_event(f, d);
  } else if (kind == "deployment") {
    d.kind = Kind::deployment;
    read_deployment_event(f, d);
  } else if (kind == "subgroup_create" || kind == "subgroup_destroy") {
    d.kind = Kind::subgroup;
  } else if (kind == "project_create" || kind == "project_destroy") {
    d.kind = Kind::project;
    read_project_event(f, d);
  } else {
    d.kind = Kind::other;
  }

  // The runner reaches GitLab by CI_SERVER_URL; the payload's URLs use the instance's
  // external_url, which may differ (internal DNS, a proxy). Prefer the former.
  d.server_url = std::string(server_url);
  if (d.server_url.empty()) d.server_url = server_of(d.project.http_url.empty() ? d.project.web_url : d.project.http_url);
  while (!d.server_url.empty() && d.server_url.back() == '/') d.server_url.pop_back();
  if (!server_url.empty() && !d.project.path.empty())
    d.clone_url = clone_url_for(d.server_url, d.project.path);
  else
    d.clone_url = d.project.http_url;
  return Event(std::move(d));
}

}  // namespace agent::event
