#pragma once
// The triggering event, normalised from a webhook body, a JIT_EVENT or CI variables.
// Immutable once built: everything downstream (checkout, config, publish) reads it through
// const accessors, and the only "change" is a copy with a skip reason (with_skip_reason).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace agent::event {

/// What happened. `other` covers every GitLab event that never needs a scan (issue, pipeline, ...).
enum class Kind { merge_request, push, tag_push, note, deployment, subgroup, project, other };

/// "merge_request" | "push" | "tag_push" | "note" | "deployment" | "subgroup" | "project" | "other".
std::string_view to_string(Kind kind);
/// Inverse of to_string; nullopt for anything else.
std::optional<Kind> parse_kind(std::string_view text);

/// The project whose code is scanned (for an MR: the target project).
struct Project {
  std::int64_t id = 0;              ///< GitLab project id; 0 when the source does not say
  std::string path;                 ///< path_with_namespace, e.g. "group/sub/project"
  std::string http_url;             ///< git_http_url as GitLab reported it ("" when unknown)
  std::string web_url;              ///< e.g. "https://gitlab.example.com/group/project"
  std::string default_branch;       ///< "" when unknown
};

struct MergeRequest {
  std::int64_t iid = 0;
  std::string source_branch;
  std::string target_branch;
  std::string head_sha;             ///< last commit of the source branch ("" when unknown)
  std::string diff_base_sha;        ///< GitLab's diff base, when the source says (CI vars); else ""
  std::string action;               ///< open|reopen|update|close|merge|approved|...; "" when unknown
  std::string state;                ///< opened|closed|merged|locked; "" when unknown
  std::string oldrev;               ///< previous head on `update` with new commits, else ""
  std::int64_t source_project_id = 0;  ///< differs from the target's id for forks
  std::string title;
  std::string url;                  ///< web URL of the MR
  /// True when the event adds commits: any action but `update`, or `update` with `oldrev`.
  bool has_new_commits() const { return action != "update" || !oldrev.empty(); }
};

struct Push {
  std::string before;               ///< 40 zeros for a new branch/tag
  std::string after;                ///< 40 zeros for a deletion
  std::string ref;                  ///< "refs/heads/main" or "refs/tags/v1"
  std::string checkout_sha;         ///< what GitLab would check out ("" when absent or null)
  /// "main" for refs/heads/main, "v1" for refs/tags/v1.
  std::string short_ref() const;
  bool is_tag() const { return ref.rfind("refs/tags/", 0) == 0; }
  bool creates() const;             ///< before is all zeros
  bool deletes() const;             ///< after is all zeros
};

/// A developer's reply command on an MR thread.
enum class NoteCommand { none, ignore_fp, ignore_accept, undo_ignore };

/// "#jit_ignore_fp" | "#jit_ignore_accept" | "#jit_undo_ignore" | "" (none).
std::string_view to_string(NoteCommand command);
/// The command a note body starts with (leading whitespace ignored; the rest is the reason).
NoteCommand parse_note_command(std::string_view body);

struct Note {
  std::int64_t id = 0;
  std::string body;
  std::string noteable_type;        ///< "MergeRequest", "Commit", "Issue", "Snippet"
  std::string discussion_id;        ///< the thread the note was posted in ("" when absent)
  std::int64_t merge_request_iid = 0;  ///< for noteable_type MergeRequest
  bool system = false;              ///< written by GitLab itself, never a command
  NoteCommand command = NoteCommand::none;
  std::string reason;               ///< text after the command (trimmed), e.g. "test fixture"
};

struct Actor {
  std::int64_t id = 0;
  std::string username;
  std::string name;                 ///< display name, when the event gives it
  std::string email;                ///< "" when absent or "[REDACTED]" (GitLab hides it in webhooks)
};

/// Deployment of a commit to an environment (kept for the record; it never needs a code scan).
struct Deployment {
  std::int64_t id = 0;
  std::string status;               ///< running|success|failed|canceled
  std::string environment;
  std::string sha;                  ///< the deployed commit, from commit_url ("" when absent)
};

/// Everything an Event is built from; the parsers fill it, Event's constructor freezes it.
struct EventData {
  Kind kind = Kind::other;
  std::string gitlab_kind;          ///< object_kind/event_name as received, e.g. "issue", "build"
  std::string source;               ///< where it came from, e.g. "TRIGGER_PAYLOAD (/tmp/x.json)"
  std::string server_url;           ///< "https://gitlab.example.com" (no trailing slash)
  std::string clone_url;            ///< HTTPS URL to fetch, without credentials
  Project project;
  std::optional<MergeRequest> merge_request;  ///< MR events, and notes on an MR
  std::optional<Push> push;                   ///< push and tag_push
  std::optional<Note> note;
  std::optional<Deployment> deployment;
  Actor actor;
  std::string skip_reason;          ///< set by a parser for kinds it knows need no scan
};

class Event {
 public:
  /// Freezes `data`; when `data.skip_reason` is empty, computes it from the rules in skip_reason().
  explicit Event(EventData data);

  Kind kind() const { return d_.kind; }
  const std::string& gitlab_kind() const { return d_.gitlab_kind; }
  const std::string& source() const { return d_.source; }
  const std::string& server_url() const { return d_.server_url; }
  const std::string& clone_url() const { return d_.clone_url; }
  const Project& project() const { return d_.project; }
  const std::optional<MergeRequest>& merge_request() const { return d_.merge_request; }
  const std::optional<Push>& push() const { return d_.push; }
  const std::optional<Note>& note() const { return d_.note; }
  const std::optional<Deployment>& deployment() const { return d_.deployment; }
  const Actor& actor() const { return d_.actor; }
  const EventData& data() const { return d_; }

  /// Why no scan is needed ("merge request is merged", "branch deleted", ...); "" = scan.
  /// A command note has no skip reason: it needs the ignore handling, not a skip.
  const std::string& skip_reason() const { return d_.skip_reason; }
  bool needs_scan() const { return d_.skip_reason.empty(); }
  /// The commit to scan: MR head, pushed sha, or "" when the event names none.
  std::string head_sha() const;
  /// The ref the commit lives on: "refs/merge-requests/<iid>/head", the pushed ref, or "".
  std::string head_ref() const;
  /// True for a push to the project's default branch (full scan by default).
  bool is_default_branch_push() const;
  /// A copy of this event that will be skipped for `reason` (e.g. project excluded by config).
  Event with_skip_reason(std::string reason) const;
  /// One line for the log: "merge_request !16 group/project (TRIGGER_PAYLOAD (/tmp/x.json))".
  std::string describe() const;

 private:
  EventData d_;
};

/// 40 zeros: GitLab's "no commit" (new branch before, deleted branch after).
bool is_null_sha(std::string_view sha);
/// True for 40 (SHA-1) or 64 (SHA-256) lower/upper hex characters.
bool is_full_sha(std::string_view sha);
/// "<server>/<path>.git": the clone URL GitLab serves for a project path.
std::string clone_url_for(std::string_view server_url, std::string_view project_path);
/// "https://host:port" of an http(s) URL ("" when `url` has no scheme://host).
std::string server_of(std::string_view url);

}  // namespace agent::event
