#include "agent/event/event.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <utility>

namespace agent::event {
namespace {

constexpr std::array<std::pair<Kind, std::string_view>, 8> kKinds = {{
    {Kind::merge_request, "merge_request"},
    {Kind::push, "push"},
    {Kind::tag_push, "tag_push"},
    {Kind::note, "note"},
    {Kind::deployment, "deployment"},
    {Kind::subgroup, "subgroup"},
    {Kind::project, "project"},
    {Kind::other, "other"},
}};

constexpr std::array<std::pair<NoteCommand, std::string_view>, 3> kCommands = {{
    {NoteCommand::ignore_fp, "#jit_ignore_fp"},
    {NoteCommand::ignore_accept, "#jit_ignore_accept"},
    {NoteCommand::undo_ignore, "#jit_undo_ignore"},
}};

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string merge_request_skip(const MergeRequest& mr) {
  if (mr.state == "merged" || mr.action == "merge") return "merge request is merged";
  if (mr.state == "closed" || mr.action == "close") return "merge request is closed";
  if (mr.state == "locked") return "merge request is locked";
  if (mr.action == "approved" || mr.action == "approval" || mr.action == "unapproved" ||
      mr.action == "unapproval")
    return "merge request " + mr.action + " event changes no code";
  if (!mr.has_new_commits()) return "merge request update without new commits";
  return "";
}

std::string note_skip(const Note& note) {
  if (note.system) return "system note (written by GitLab, not a command)";
  if (note.command == NoteCommand::none)
    return "note is not a jit command (#jit_ignore_fp, #jit_ignore_accept, #jit_undo_ignore)";
  if (note.noteable_type != "MergeRequest")
    return "command in a note on a " + (note.noteable_type.empty() ? std::string("?") : note.noteable_type) +
           "; commands are read on merge request threads only";
  return "";
}

std::string compute_skip(const EventData& d) {
  switch (d.kind) {
    case Kind::merge_request:
      return d.merge_request ? merge_request_skip(*d.merge_request) : "merge request event without a merge request";
    case Kind::push:
    case Kind::tag_push:
      if (!d.push) return "push event without refs";
      if (d.push->deletes()) return d.push->is_tag() ? "tag deleted" : "branch deleted";
      return "";
    case Kind::note:
      return d.note ? note_skip(*d.note) : "note event without a note";
    case Kind::deployment:
      return "deployment events need no code scan (the pushed commit was scanned)";
    case Kind::subgroup:
      return "subgroup events need no code scan";
    case Kind::project:
      return "project " + std::string(d.gitlab_kind == "project_destroy" ? "deleted" : "created") +
             ": nothing to scan until code is pushed";
    case Kind::other:
      break;
  }
  return (d.gitlab_kind.empty() ? std::string("unknown") : d.gitlab_kind) + " events need no code scan";
}

}  // namespace

std::string_view to_string(Kind kind) {
  for (const auto& [k, name] : kKinds)
    if (k == kind) return name;
  return "other";
}

std::optional<Kind> parse_kind(std::string_view text) {
  for (const auto& [k, name] : kKinds)
    if (name == text) return k;
  return std::nullopt;
}

std::string Push::short_ref() const {
  for (std::string_view prefix : {"refs/heads/", "refs/tags/"})
    if (ref.rfind(prefix, 0) == 0) return ref.substr(prefix.size());
  return ref;
}

bool Push::creates() const { return is_null_sha(before); }
bool Push::deletes() const { return is_null_sha(after); }

std::string_view to_string(NoteCommand command) {
  for (const auto& [c, name] : kCommands)
    if (c == command) return name;
  return "";
}

NoteCommand parse_note_command(std::string_view body) {
  body = trim(body);
  for (const auto& [c, name] : kCommands) {
    if (body.size() < name.size()) continue;
    std::string_view head = body.substr(0, name.size());
    bool same = std::equal(head.begin(), head.end(), name.begin(), name.end(), [](char a, char b) {
      return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
    });
    // "#jit_ignore_fpx" is not the command: the name must end at a word boundary.
    bool boundary = body.size() == name.size() ||
                    !(std::isalnum(static_cast<unsigned char>(body[name.size()])) || body[name.size()] == '_');
    if (same && boundary) return c;
  }
  return NoteCommand::none;
}

Event::Event(EventData data) : d_(std::move(data)) {
  if (d_.note) {
    d_.note->command = parse_note_command(d_.note->body);
    if (d_.note->command != NoteCommand::none) {
      auto body = trim(d_.note->body);
      d_.note->reason = std::string(trim(body.substr(to_string(d_.note->command).size())));
    }
  }
  if (d_.skip_reason.empty()) d_.skip_reason = compute_skip(d_);
}

std::string Event::head_sha() const {
  if (d_.merge_request && (d_.kind == Kind::merge_request || d_.kind == Kind::note))
    return d_.merge_request->head_sha;
  if (d_.push) {
    if (!d_.push->after.empty() && !is_null_sha(d_.push->after)) return d_.push->after;
    return d_.push->checkout_sha;
  }
  if (d_.deployment) return d_.deployment->sha;
  return "";
}

std::string Event::head_ref() const {
  if (d_.merge_request && d_.merge_request->iid > 0)
    return "refs/merge-requests/" + std::to_string(d_.merge_request->iid) + "/head";
  if (d_.push) return d_.push->ref;
  return "";
}

bool Event::is_default_branch_push() const {
  return d_.kind == Kind::push && d_.push && !d_.push->is_tag() && !d_.project.default_branch.empty() &&
         d_.push->short_ref() == d_.project.default_branch;
}

Event Event::with_skip_reason(std::string reason) const {
  EventData copy = d_;
  copy.skip_reason = std::move(reason);
  return Event(std::move(copy));
}

std::string Event::describe() const {
  std::string out(to_string(d_.kind));
  if (d_.kind == Kind::other && !d_.gitlab_kind.empty()) out = d_.gitlab_kind;
  if (d_.merge_request && d_.merge_request->iid > 0) out += " !" + std::to_string(d_.merge_request->iid);
  if (d_.push) out += " " + d_.push->ref;
  if (!d_.project.path.empty()) out += " " + d_.project.path;
  if (d_.merge_request && !d_.merge_request->action.empty() && d_.kind == Kind::merge_request)
    out += " (" + d_.merge_request->action + ")";
  if (d_.note && d_.note->command != NoteCommand::none) out += " " + std::string(to_string(d_.note->command));
  if (!d_.source.empty()) out += " from " + d_.source;
  return out;
}

bool is_null_sha(std::string_view sha) {
  return (sha.size() == 40 || sha.size() == 64) && std::all_of(sha.begin(), sha.end(), [](char c) { return c == '0'; });
}

bool is_full_sha(std::string_view sha) {
  return (sha.size() == 40 || sha.size() == 64) &&
         std::all_of(sha.begin(), sha.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; });
}

std::string clone_url_for(std::string_view server_url, std::string_view project_path) {
  while (!server_url.empty() && server_url.back() == '/') server_url.remove_suffix(1);
  while (!project_path.empty() && project_path.front() == '/') project_path.remove_prefix(1);
  std::string url(server_url);
  url += '/';
  url += project_path;
  if (url.size() < 4 || url.compare(url.size() - 4, 4, ".git") != 0) url += ".git";
  return url;
}

std::string server_of(std::string_view url) {
  auto sep = url.find("://");
  if (sep == std::string_view::npos || sep == 0) return "";
  auto end = url.find_first_of("/?#", sep + 3);
  std::string_view authority = url.substr(sep + 3, end == std::string_view::npos ? url.npos : end - sep - 3);
  if (authority.empty()) return "";
  // Never carry credentials along: "https://user:pw@host" -> "https://host".
  auto at = authority.rfind('@');
  if (at != std::string_view::npos) authority.remove_prefix(at + 1);
  return std::string(url.substr(0, sep + 3)) + std::string(authority);
}

}  // namespace agent::event
