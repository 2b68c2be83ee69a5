#include "agent/cli/ci_note.h"

#include <spdlog/spdlog.h>

#include <chrono>

#include "agent/config/ignores.h"
#include "agent/publish/markdown.h"
#include "agent/publish/markers.h"
#include "agent/report/time_format.h"
#include "agent/util/error.h"

namespace agent::cli {
namespace {

namespace markdown = publish::markdown;
constexpr int kMaxAttempts = 5;  ///< re-reads of ignores.yml after a concurrent edit

/// First line of every reply to a command: which note it answered, so a replayed webhook is seen.
std::string command_marker(std::int64_t note_id) {
  return "<!-- jit-agent:command note=" + std::to_string(note_id) + " -->\n";
}

/// The rule id the thread names: the first code span of its title line (thread_body writes
/// "**Severity** · **Title** · `rule-id`"), else "".
std::string rule_of(std::string_view body) {
  std::size_t line_start = 0;
  while (line_start < body.size() && body.compare(line_start, 4, "<!--") == 0) {
    std::size_t nl = body.find('\n', line_start);
    if (nl == std::string_view::npos) return "";
    line_start = nl + 1;
  }
  std::size_t nl = body.find('\n', line_start);
  std::string_view title = body.substr(line_start, nl == std::string_view::npos ? body.size() - line_start : nl - line_start);
  std::size_t open = title.find(" · `");
  if (open == std::string_view::npos) return "";
  open += std::string_view(" · `").size();
  std::size_t close = title.find('`', open);
  if (close == std::string_view::npos || close - open > 200) return "";
  return std::string(title.substr(open, close - open));
}

std::string host_of(std::string_view url) {
  auto p = url.find("://");
  std::string_view rest = p == std::string_view::npos ? url : url.substr(p + 3);
  rest = rest.substr(0, rest.find('/'));
  rest = rest.substr(0, rest.find(':'));
  return std::string(rest.empty() ? "gitlab.invalid" : rest);
}

bool has_entry(const config::Ignores& ignores, const std::string& fingerprint, const std::string& project) {
  for (const auto& e : ignores.entries)
    if (e.fingerprint == fingerprint && (e.project.empty() || e.project == project)) return true;
  return false;
}

}  // namespace

NoteOutcome handle_note_command(const event::Event& ev, const std::string& target, const IgnoresLocation& where,
                                gitlab::Api& api, gitlab::RepositoryApi& repository) {
  NoteOutcome out;
  const auto& note = *ev.note();
  const auto& mr = *ev.merge_request();
  const auto& actor = ev.actor();
  const std::string who = actor.username.empty() ? "someone" : "@" + actor.username;

  gitlab::Discussion thread;
  bool found = false;
  for (auto& d : api.merge_request_discussions(target, mr.iid))
    if (d.id == note.discussion_id) {
      thread = std::move(d);
      found = true;
      break;
    }
  std::optional<publish::ThreadMarker> marker;
  if (found && !thread.notes.empty()) marker = publish::parse_thread_markers(thread.notes.front().body);
  if (!marker) {
    spdlog::info("{} on !{} is not a reply in a thread jit-agent opened: nothing to do", event::to_string(note.command), mr.iid);
    return out;
  }
  out.fingerprint = marker->fingerprint;
  const std::string reply_marker = command_marker(note.id);
  for (const auto& n : thread.notes)
    if (n.body.rfind(reply_marker, 0) == 0) {
      spdlog::info("{} (note {}) on !{} was already handled: nothing to do", event::to_string(note.command), note.id, mr.iid);
      out.kind = NoteOutcome::Kind::replayed;
      return out;
    }

  const int level = actor.id > 0 ? repository.member_access_level(target, actor.id) : 0;
  if (level < gitlab::access_level::developer) {
    spdlog::info("{} by {} on !{} refused: access level {} is below Developer", event::to_string(note.command), who,
                 mr.iid, level);
    api.reply_to_discussion(target, mr.iid, thread.id,
                            reply_marker + "Thanks, " + markdown::text(who, 80) +
                                ". Only members with at least the Developer role on this project can dismiss a "
                                "finding, so nothing was changed. Ask a Developer or Maintainer to reply `" +
                                std::string(event::to_string(note.command)) + "` here, or to fix the finding.\n");
    out.kind = NoteOutcome::Kind::refused;
    return out;
  }

  const bool undo = note.command == event::NoteCommand::undo_ignore;
  const config::IgnoreReason reason =
      note.command == event::NoteCommand::ignore_accept ? config::IgnoreReason::accepted_risk : config::IgnoreReason::false_positive;
  const std::string rule = rule_of(thread.notes.front().body);
  const std::string project_path = ev.project().path;
  const std::string what = rule.empty() ? marker->control + " finding" : rule;
  const std::string reason_words = reason == config::IgnoreReason::accepted_risk ? "accepted risk" : "false positive";
  const std::string message =
      undo ? "jit: undo ignore of " + what + " in " + project_path + "!" + std::to_string(mr.iid) + " by " + who
           : "jit: ignore " + what + " in " + project_path + "!" + std::to_string(mr.iid) + " (" + reason_words + ") by " + who;

  std::string commit;
  bool changed = false;
  std::string final_text;
  for (int attempt = 1;; ++attempt) {
    auto file = repository.get_file(where.project, where.path, where.branch);
    const std::string text = file ? file->content : "";
    const std::string file_name = where.path + "@" + where.branch;
    const config::Ignores current = config::parse_ignores(text, file_name);
    std::optional<std::string> next;
    if (undo) {
      if (has_entry(current, marker->fingerprint, project_path)) next = config::remove_ignore_text(text, marker->fingerprint, file_name);
    } else if (!has_entry(current, marker->fingerprint, project_path)) {
      config::IgnoreEntry e;
      e.fingerprint = marker->fingerprint;
      e.reason = reason;
      e.comment = note.reason.empty() ? std::string("dismissed in ") + project_path + "!" + std::to_string(mr.iid)
                                      : note.reason;
      e.project = project_path;
      e.author_username = actor.username;
      e.author_id = actor.id;
      e.created = report::rfc3339_utc(std::chrono::system_clock::now());
      if (!rule.empty()) e.comment += " (" + rule + ")";
      next = config::add_ignore_text(text, e, file_name);
    }
    if (!next) {
      final_text = text;
      break;  // already as asked: nothing to commit
    }
    gitlab::CommitRequest request;
    request.branch = where.branch;
    request.commit_message = message;
    request.author_name = actor.name.empty() ? actor.username : actor.name;
    if (!actor.username.empty())
      request.author_email = !actor.email.empty() ? actor.email
                                                  : std::to_string(actor.id) + "-" + actor.username + "@users.noreply." +
                                                        host_of(ev.server_url());
    gitlab::CommitAction action;
    action.action = file ? gitlab::CommitAction::Kind::update : gitlab::CommitAction::Kind::create;
    action.file_path = where.path;
    action.content = *next;
    if (file) action.last_commit_id = file->last_commit_id;
    request.actions.push_back(std::move(action));
    try {
      commit = repository.create_commit(where.project, request);
      changed = true;
      final_text = *next;
      break;
    } catch (const gitlab::StaleFileError& e) {
      if (attempt >= kMaxAttempts) throw;
      spdlog::info("{} changed while it was edited ({}): reading it again", where.path, e.what());
    }
  }
  out.commit = commit;
  out.ignores_text = final_text;

  const std::string short_commit = commit.substr(0, 12);
  std::string reply = reply_marker;
  if (undo) {
    reply += changed ? "The ignore was removed by " + markdown::text(who, 80) + " (" + markdown::code(where.path) +
                           ", commit " + markdown::code(short_commit) + "). This finding is reported again from the next pipeline.\n"
                     : "This finding is not ignored (no entry in " + markdown::code(where.path) + "): nothing to undo.\n";
    api.reply_to_discussion(target, mr.iid, thread.id, reply);
    if (changed) api.resolve_discussion(target, mr.iid, thread.id, false);
    out.kind = NoteOutcome::Kind::unignored;
  } else {
    reply += changed ? "Ignored as **" + reason_words + "** by " + markdown::text(who, 80) + " for " +
                           markdown::code(project_path) + " (" + markdown::code(where.path) + ", commit " +
                           markdown::code(short_commit) + ")" +
                           (note.reason.empty() ? std::string(".") : ": " + markdown::text(note.reason, 300)) +
                           "\nIt is no longer reported here or in later pipelines. To undo, reply `#jit_undo_ignore` in this thread.\n"
                     : "This finding is already ignored in " + markdown::code(where.path) + ".\n";
    api.reply_to_discussion(target, mr.iid, thread.id, reply);
    api.resolve_discussion(target, mr.iid, thread.id, true);
    out.kind = NoteOutcome::Kind::ignored;
  }
  spdlog::info("{} by {} on !{}: {}{}", event::to_string(note.command), who, mr.iid,
               changed ? "committed " + short_commit + " to " + where.path : "no change needed", "");
  return out;
}

}  // namespace agent::cli
