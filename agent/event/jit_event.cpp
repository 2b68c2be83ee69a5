#include "agent/event/jit_event.h"

#include <algorithm>
#include <initializer_list>

#include <nlohmann/json.hpp>

#include "agent/event/json_fields.h"

namespace agent::event {
namespace {

using nlohmann::json;

// The same key sets as schemas/jit-event.schema.json (additionalProperties: false): a typo in a
// relay's payload is an error, not a silently ignored field.
void only_keys(const JsonFields& f, const std::string& pointer, std::initializer_list<std::string_view> keys) {
  const json* obj = f.find(pointer);
  if (!obj) return;
  if (!obj->is_object()) f.fail(pointer, "must be an object");
  for (auto it = obj->begin(); it != obj->end(); ++it)
    if (std::find(keys.begin(), keys.end(), it.key()) == keys.end())
      f.fail(pointer + "/" + it.key(), "is not a known field");
}

Project read_project(const JsonFields& f) {
  f.object("/project");
  only_keys(f, "/project", {"id", "path", "http_url", "web_url", "default_branch"});
  Project p;
  p.id = f.opt_int("/project/id");
  p.path = f.str("/project/path");
  p.http_url = f.opt_str("/project/http_url");
  p.web_url = f.opt_str("/project/web_url");
  p.default_branch = f.opt_str("/project/default_branch");
  return p;
}

MergeRequest read_merge_request(const JsonFields& f, bool full) {
  f.object("/merge_request");
  only_keys(f, "/merge_request", {"iid", "source_branch", "target_branch", "head_sha", "diff_base_sha",
                                  "action", "state", "oldrev", "source_project_id", "title", "url"});
  MergeRequest mr;
  mr.iid = f.integer("/merge_request/iid");
  if (mr.iid <= 0) f.fail("/merge_request/iid", "must be a positive integer");
  mr.source_branch = full ? f.str("/merge_request/source_branch") : f.opt_str("/merge_request/source_branch");
  mr.target_branch = full ? f.str("/merge_request/target_branch") : f.opt_str("/merge_request/target_branch");
  mr.head_sha = full ? f.sha("/merge_request/head_sha") : f.opt_sha("/merge_request/head_sha");
  mr.diff_base_sha = f.opt_sha("/merge_request/diff_base_sha");
  mr.action = f.opt_str("/merge_request/action");
  mr.state = f.opt_str("/merge_request/state");
  mr.oldrev = f.opt_sha("/merge_request/oldrev");
  mr.source_project_id = f.opt_int("/merge_request/source_project_id");
  mr.title = f.opt_str("/merge_request/title");
  mr.url = f.opt_str("/merge_request/url");
  return mr;
}

Push read_push(const JsonFields& f) {
  f.object("/push");
  only_keys(f, "/push", {"before", "after", "ref", "checkout_sha"});
  Push p;
  p.before = f.opt_sha("/push/before");
  p.after = f.sha("/push/after");
  p.ref = f.str("/push/ref");
  if (p.ref.rfind("refs/", 0) != 0) f.fail("/push/ref", "must be a full ref name (refs/heads/... or refs/tags/...)");
  p.checkout_sha = f.opt_sha("/push/checkout_sha");
  return p;
}

Note read_note(const JsonFields& f) {
  f.object("/note");
  only_keys(f, "/note", {"id", "body", "noteable_type", "discussion_id", "merge_request_iid", "system"});
  Note n;
  n.id = f.opt_int("/note/id");
  if (!f.has("/note/body")) f.fail("/note/body", "missing");
  n.body = f.opt_str("/note/body");
  n.noteable_type = f.str("/note/noteable_type");
  if (n.noteable_type != "MergeRequest" && n.noteable_type != "Commit" && n.noteable_type != "Issue" &&
      n.noteable_type != "Snippet")
    f.fail("/note/noteable_type", "is \"" + n.noteable_type + "\"; expected MergeRequest, Commit, Issue or Snippet");
  n.discussion_id = f.opt_str("/note/discussion_id");
  n.merge_request_iid = n.noteable_type == "MergeRequest" ? f.integer("/note/merge_request_iid")
                                                          : f.opt_int("/note/merge_request_iid");
  n.system = f.opt_bool("/note/system");
  return n;
}

json project_json(const Project& p) {
  json o = {{"path", p.path}};
  if (p.id) o["id"] = p.id;
  if (!p.http_url.empty()) o["http_url"] = p.http_url;
  if (!p.web_url.empty()) o["web_url"] = p.web_url;
  if (!p.default_branch.empty()) o["default_branch"] = p.default_branch;
  return o;
}

void put(json& o, const char* key, const std::string& v) {
  if (!v.empty()) o[key] = v;
}

json merge_request_json(const MergeRequest& mr) {
  json o = {{"iid", mr.iid}};
  put(o, "source_branch", mr.source_branch);
  put(o, "target_branch", mr.target_branch);
  put(o, "head_sha", mr.head_sha);
  put(o, "diff_base_sha", mr.diff_base_sha);
  put(o, "action", mr.action);
  put(o, "state", mr.state);
  put(o, "oldrev", mr.oldrev);
  if (mr.source_project_id) o["source_project_id"] = mr.source_project_id;
  put(o, "title", mr.title);
  put(o, "url", mr.url);
  return o;
}

}  // namespace

Event parse_jit_event(std::string_view text, std::string_view source, std::string_view server_url) {
  json doc = parse_json_object(text, source);
  JsonFields f(doc, std::string(source));
  only_keys(f, "", {"version", "kind", "gitlab_kind", "server_url", "project", "merge_request", "push",
                    "note", "deployment", "actor"});
  std::int64_t version = f.integer("/version");
  if (version < 1 || version > kJitEventVersion)
    f.fail("/version", "is " + std::to_string(version) + "; this agent reads versions 1.." +
                           std::to_string(kJitEventVersion));
  std::string kind_text = f.str("/kind");
  auto kind = parse_kind(kind_text);
  if (!kind) f.fail("/kind", "is \"" + kind_text + "\"; expected merge_request, push, tag_push, note, deployment, subgroup, project or other");

  EventData d;
  d.kind = *kind;
  d.source = std::string(source);
  d.gitlab_kind = f.opt_str("/gitlab_kind");
  if (d.gitlab_kind.empty()) d.gitlab_kind = kind_text;
  bool needs_project = d.kind == Kind::merge_request || d.kind == Kind::push || d.kind == Kind::tag_push ||
                       d.kind == Kind::note || d.kind == Kind::deployment;
  if (needs_project || f.has("/project")) d.project = read_project(f);

  if (d.kind == Kind::merge_request || f.has("/merge_request"))
    d.merge_request = read_merge_request(f, d.kind == Kind::merge_request);
  if (d.kind == Kind::push || d.kind == Kind::tag_push || f.has("/push")) d.push = read_push(f);
  if (d.kind == Kind::note || f.has("/note")) {
    d.note = read_note(f);
    if (d.merge_request && d.note->merge_request_iid && d.merge_request->iid != d.note->merge_request_iid)
      f.fail("/note/merge_request_iid", "differs from /merge_request/iid");
    if (!d.merge_request && d.note->merge_request_iid) {
      d.merge_request = MergeRequest{};
      d.merge_request->iid = d.note->merge_request_iid;
    }
  }
  if (f.has("/deployment")) {
    only_keys(f, "/deployment", {"id", "status", "environment", "sha"});
    d.deployment = Deployment{f.opt_int("/deployment/id"), f.opt_str("/deployment/status"),
                              f.opt_str("/deployment/environment"), f.opt_sha("/deployment/sha")};
  }
  if (f.has("/actor")) {
    only_keys(f, "/actor", {"id", "username"});
    d.actor = Actor{f.opt_int("/actor/id"), f.opt_str("/actor/username"), f.opt_str("/actor/name"), ""};
  }

  // Server: the event's own, else CI_SERVER_URL, else derived from the project URLs.
  d.server_url = f.opt_str("/server_url");
  if (!d.server_url.empty() && d.server_url.rfind("https://", 0) != 0 && d.server_url.rfind("http://", 0) != 0)
    f.fail("/server_url", "must start with https:// or http://");
  if (d.server_url.empty()) d.server_url = std::string(server_url);
  if (d.server_url.empty()) d.server_url = server_of(d.project.http_url.empty() ? d.project.web_url : d.project.http_url);
  while (!d.server_url.empty() && d.server_url.back() == '/') d.server_url.pop_back();
  // Same rule as for webhooks: the server the runner knows, then the project's own URL.
  bool explicit_server = f.has("/server_url") || !server_url.empty();
  if (explicit_server && !d.project.path.empty())
    d.clone_url = clone_url_for(d.server_url, d.project.path);
  else if (!d.project.http_url.empty())
    d.clone_url = d.project.http_url;
  else if (!d.server_url.empty() && !d.project.path.empty())
    d.clone_url = clone_url_for(d.server_url, d.project.path);
  return Event(std::move(d));
}

std::string to_jit_event(const Event& event, int indent) {
  const EventData& d = event.data();
  json o = {{"version", kJitEventVersion}, {"kind", std::string(to_string(d.kind))}};
  if (!d.gitlab_kind.empty() && d.gitlab_kind != to_string(d.kind)) o["gitlab_kind"] = d.gitlab_kind;
  put(o, "server_url", d.server_url);
  if (!d.project.path.empty()) o["project"] = project_json(d.project);
  if (d.merge_request) o["merge_request"] = merge_request_json(*d.merge_request);
  if (d.push) {
    json p = {{"after", d.push->after}, {"ref", d.push->ref}};
    put(p, "before", d.push->before);
    put(p, "checkout_sha", d.push->checkout_sha);
    o["push"] = p;
  }
  if (d.note) {
    json n = {{"body", d.note->body}, {"noteable_type", d.note->noteable_type}};
    if (d.note->id) n["id"] = d.note->id;
    put(n, "discussion_id", d.note->discussion_id);
    if (d.note->merge_request_iid) n["merge_request_iid"] = d.note->merge_request_iid;
    if (d.note->system) n["system"] = true;
    o["note"] = n;
  }
  if (d.deployment) {
    json dep = json::object();
    if (d.deployment->id) dep["id"] = d.deployment->id;
    put(dep, "status", d.deployment->status);
    put(dep, "environment", d.deployment->environment);
    put(dep, "sha", d.deployment->sha);
    o["deployment"] = dep;
  }
  if (d.actor.id || !d.actor.username.empty()) {
    json a = json::object();
    if (d.actor.id) a["id"] = d.actor.id;
    put(a, "username", d.actor.username);
    o["actor"] = a;
  }
  return o.dump(indent);
}

}  // namespace agent::event
