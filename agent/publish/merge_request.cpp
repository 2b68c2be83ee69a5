#include "agent/publish/merge_request.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <tuple>

#include "agent/publish/markdown.h"
#include "agent/publish/markers.h"
#include "agent/publish/render.h"

namespace agent::publish {
namespace {

using findings::Finding;
using gitlab::ApiError;
using gitlab::Discussion;

std::string trim_end(std::string_view s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.remove_suffix(1);
  return std::string(s);
}

struct OurThread {
  const Discussion* discussion = nullptr;
  std::string control;
};

/// Threads the agent started, by fingerprint (the oldest wins if a fingerprint appears twice).
std::map<std::string, OurThread> our_threads(const std::vector<Discussion>& discussions) {
  std::map<std::string, OurThread> out;
  for (const auto& d : discussions) {
    if (d.notes.empty() || d.notes.front().system) continue;
    auto marker = parse_thread_markers(d.notes.front().body);
    if (marker) out.emplace(marker->fingerprint, OurThread{&d, marker->control});
  }
  return out;
}

bool is_resolved(const Discussion& d) { return !d.notes.empty() && d.notes.front().resolved; }

/// No answer, or a server error: GitLab may have applied the request anyway.
bool ambiguous(const ApiError& e) { return e.status() == 0 || e.status() >= 500; }

class Session {
 public:
  Session(gitlab::Api& api, const MergeRequestTarget& target, const DiffIndex& diff, MergeRequestOutcome& out,
          std::vector<const Finding*> added)
      : api_(api), t_(target), diff_(diff), out_(out), added_(std::move(added)) {}

  /// Runs `fn`; on failure records one error line and returns false.
  template <typename Fn>
  bool attempt(const char* what, Fn&& fn) {
    try {
      fn();
      return true;
    } catch (const ApiError& e) {
      out_.errors.push_back(std::string(what) + ": " + e.what());
      spdlog::warn("{}: {}", what, e.what());
      return false;
    }
  }

  void threads(const std::vector<const Finding*>& in_diff, const std::vector<findings::PackageGroup>& packages,
               const findings::ScanResult& result, const std::set<std::string>& current,
               const MergeRequestOptions& options) {
    std::set<std::string> inline_now;
    for (const Finding* f : in_diff) inline_now.insert(fingerprint_of(*f));
    for (const auto& g : packages) {
      inline_now.insert(package_thread_key(g));
      // Threads of one advisory each, from agents before threads per package: still inline.
      for (const Finding* f : g.advisories) inline_now.insert(fingerprint_of(*f));
    }
    // A thread opened before its finding fell below the threshold stays as it is.
    for (const Finding* f : out_.low_confidence) inline_now.insert(fingerprint_of(*f));
    std::optional<gitlab::MrVersion> version;
    std::vector<Discussion> discussions;
    attempt("reading the merge request versions", [&] {
      auto versions = api_.merge_request_versions(t_.project, t_.iid);
      if (!versions.empty()) version = versions.front();  // newest first
    });
    // Without the existing threads nothing may be posted: it could all be duplicates.
    if (!attempt("reading the merge request threads",
                 [&] { discussions = api_.merge_request_discussions(t_.project, t_.iid); })) {
      out_.not_inline = in_diff;
      for (const auto& g : packages) out_.not_inline.insert(out_.not_inline.end(), g.advisories.begin(), g.advisories.end());
      return;
    }
    auto ours = our_threads(discussions);
    std::set<std::string> handled;
    int created = 0;
    for (const Finding* f : in_diff) {
      const std::string fp = fingerprint_of(*f);
      if (!handled.insert(fp).second) continue;
      if (auto it = ours.find(fp); it != ours.end()) {
        ++out_.threads_existing;
        reopen_if_we_resolved(*it->second.discussion);
        continue;
      }
      if (!version || created >= static_cast<int>(options.max_new_threads)) {
        out_.not_inline.push_back(f);
        continue;
      }
      if (create_thread(*f, thread_body(*f), fp, {f}, *version)) ++created;
    }
    // One thread per vulnerable package on its lockfile line, edited when its advisories change.
    for (const auto& g : packages) {
      const std::string key = package_thread_key(g);
      if (!handled.insert(key).second) continue;
      const std::string body = package_thread_body(g);
      if (auto it = ours.find(key); it != ours.end()) {
        ++out_.threads_existing;
        const Discussion& d = *it->second.discussion;
        if (trim_end(d.notes.front().body) != trim_end(body))
          attempt("updating a dependency thread", [&] {
            write([&] { api_.update_note(t_.project, t_.iid, d.notes.front().id, body); });
            ++out_.threads_updated;
          });
        reopen_if_we_resolved(d);
        continue;
      }
      // An agent from before threads per package left one thread per advisory: keep those.
      bool legacy = false;
      for (const Finding* f : g.advisories)
        if (auto it = ours.find(fingerprint_of(*f)); it != ours.end()) {
          legacy = true;
          ++out_.threads_existing;
          reopen_if_we_resolved(*it->second.discussion);
        }
      if (legacy) continue;
      if (!version || created >= static_cast<int>(options.max_new_threads)) {
        out_.not_inline.insert(out_.not_inline.end(), g.advisories.begin(), g.advisories.end());
        continue;
      }
      if (create_thread(g.first(), body, key, g.advisories, *version)) ++created;
    }
    resolve_gone(ours, result, current, inline_now);
  }

  void summary(const findings::ScanResult& result, const MergeRequestOptions& options) {
    SummaryInput in;
    in.findings = result.findings;
    in.controls = result.controls;
    in.outside_diff = out_.outside_diff;
    in.not_inline = out_.not_inline;
    in.low_confidence = out_.low_confidence;
    in.added = added_;
    in.errored = result.errored_controls;
    in.skipped = result.skipped_controls;
    for (const auto& f : result.ignored) in.ignored.push_back(&f);
    in.head_sha = t_.head_sha;
    in.fail_on = options.fail_on;
    in.pipeline_url = options.pipeline_url;
    const std::string body = summary_body(in);
    out_.summary = "failed";
    attempt("updating the summary note", [&] {
      auto notes = api_.merge_request_notes(t_.project, t_.iid);
      auto it = std::find_if(notes.begin(), notes.end(),
                             [](const gitlab::Note& n) { return !n.system && is_summary(n.body); });
      if (it == notes.end()) {
        create_summary(body);
        out_.summary = "created";
      } else if (trim_end(it->body) == trim_end(body)) {
        out_.summary = "unchanged";
      } else {
        try {
          write([&] { api_.update_note(t_.project, t_.iid, it->id, body); });
          out_.summary = "updated";
        } catch (const ApiError& e) {
          // Someone else's note carrying our marker (403), or deleted meanwhile (404): post our own.
          if (e.status() != 403 && e.status() != 404) throw;
          create_summary(body);
          out_.summary = "created";
        }
      }
    });
  }

 private:
  template <typename Fn>
  void write(Fn&& fn) {
    ++out_.writes;
    fn();
  }

  /// Creates `body` as a note; after an ambiguous failure, reads the notes back and posts again
  /// only when it did not land (the client never repeats a POST blindly).
  void create_summary(const std::string& body) {
    try {
      write([&] { api_.create_note(t_.project, t_.iid, body); });
    } catch (const ApiError& e) {
      if (!ambiguous(e)) throw;
      auto notes = api_.merge_request_notes(t_.project, t_.iid);
      if (std::any_of(notes.begin(), notes.end(),
                      [&](const gitlab::Note& n) { return trim_end(n.body) == trim_end(body); }))
        return;  // it landed; only the answer was lost
      write([&] { api_.create_note(t_.project, t_.iid, body); });
    }
  }

  /// True when a thread with `fingerprint` exists now (read back after an ambiguous failure).
  bool thread_exists(const std::string& fingerprint) {
    try {
      auto fresh = api_.merge_request_discussions(t_.project, t_.iid);
      return our_threads(fresh).count(fingerprint) > 0;
    } catch (const ApiError&) {
      return false;
    }
  }

  /// Posts `body` as a thread on `f`'s line; on failure the findings of `members` are listed in
  /// the summary instead.
  bool create_thread(const Finding& f, const std::string& body, const std::string& fingerprint,
                     const std::vector<const Finding*>& members, const gitlab::MrVersion& version) {
    gitlab::Position p;
    p.base_sha = version.base_commit_sha;
    p.start_sha = version.start_commit_sha;
    p.head_sha = version.head_commit_sha;
    p.new_path = f.path;
    auto file = diff_.find(f.path);
    p.old_path = file != diff_.end() && !file->second.old_path.empty() ? file->second.old_path : f.path;
    p.new_line = f.line;
    for (int attempt = 1;; ++attempt) {
      try {
        write([&] { api_.create_discussion(t_.project, t_.iid, body, p); });
        ++out_.threads_created;
        return true;
      } catch (const ApiError& e) {
        if (e.status() == 400) {
          // GitLab refused the position (its diff differs from ours); the summary lists it.
          spdlog::info("GitLab refused the position {}:{} ({}); listed in the summary instead", f.path, f.line,
                       e.what());
        } else if (ambiguous(e) && attempt == 1) {
          if (thread_exists(fingerprint)) {  // it landed; only the answer was lost
            ++out_.threads_created;
            return true;
          }
          continue;  // it did not land: one more try is safe
        } else {
          out_.errors.push_back(std::string("posting a thread: ") + e.what());
          spdlog::warn("posting a thread: {}", e.what());
        }
        out_.not_inline.insert(out_.not_inline.end(), members.begin(), members.end());
        return false;
      }
    }
  }

  void reopen_if_we_resolved(const Discussion& d) {
    // Only a thread the agent itself resolved is reopened; one a person resolved stays resolved.
    if (!is_resolved(d) || !is_resolved_reply(d.notes.back().body)) return;
    if (attempt("reopening a thread", [&] {
          write([&] { api_.reply_to_discussion(t_.project, t_.iid, d.id, reopened_reply(t_.head_sha)); });
          write([&] { api_.resolve_discussion(t_.project, t_.iid, d.id, false); });
        }))
      ++out_.threads_reopened;
  }

  /// Resolves threads whose finding is gone, or whose line is no longer one the MR adds (a fix
  /// commit): the finding may still be in the branch history, and then the summary keeps it.
  void resolve_gone(const std::map<std::string, OurThread>& ours, const findings::ScanResult& result,
                    const std::set<std::string>& current, const std::set<std::string>& inline_now) {
    std::set<std::string> ran(result.controls.begin(), result.controls.end());
    // An errored control is listed among those that ran, but its silence proves nothing (a tool
    // that timed out in any folder): its threads stay as they are.
    for (const auto& issue : result.errored_controls) ran.erase(issue.control);
    for (const auto& [fp, thread] : ours) {
      const Discussion& d = *thread.discussion;
      if (inline_now.count(fp) || is_resolved(d) || !d.notes.front().resolvable) continue;
      if (!thread.control.empty() && !ran.count(thread.control)) continue;  // cannot tell: control did not run
      std::string reply =
          current.count(fp) ? left_diff_reply(t_.head_sha, thread.control) : resolved_reply(t_.head_sha);
      // Dismissed by an entry of the ignores file: say so, not "no longer detected".
      for (const auto& f : result.ignored)
        if (fingerprint_of(f) == fp && f.suppression) {
          reply = std::string(kResolvedMarker) + "\nIgnored as " +
                  (f.suppression->reason == "accepted_risk" ? "an accepted risk" : "a false positive") + " (" +
                  markdown::code(f.suppression->source, 120) + "): resolving this thread.\n";
          break;
        }
      if (attempt("resolving a thread", [&] {
            write([&] { api_.reply_to_discussion(t_.project, t_.iid, d.id, reply); });
            write([&] { api_.resolve_discussion(t_.project, t_.iid, d.id, true); });
          }))
        ++out_.threads_resolved;
    }
  }

  gitlab::Api& api_;
  const MergeRequestTarget& t_;
  const DiffIndex& diff_;
  MergeRequestOutcome& out_;
  std::vector<const Finding*> added_;  ///< every finding on a line the MR adds
};

}  // namespace

MergeRequestOutcome publish_merge_request(gitlab::Api& api, const MergeRequestTarget& target,
                                          const findings::ScanResult& result, const DiffIndex& diff,
                                          const MergeRequestOptions& options) {
  MergeRequestOutcome out;
  std::vector<const Finding*> ordered;
  for (const auto& f : result.findings) ordered.push_back(&f);
  std::stable_sort(ordered.begin(), ordered.end(), [](const Finding* a, const Finding* b) {
    return std::tie(a->path, a->line, a->column, a->rule_id) < std::tie(b->path, b->line, b->column, b->rule_id);
  });
  std::set<std::string> current;
  std::vector<const Finding*> in_diff, added;
  for (const Finding* f : ordered) {
    current.insert(fingerprint_of(*f));
    if (f->dependency) current.insert(findings::package_group_key(*f->dependency));
    // Only a finding seen in the head's version may be positioned: the line numbers of one found
    // in an earlier commit's additions refer to that commit, not to the diff GitLab shows.
    const bool at_head = f->commit.empty() || f->commit == target.head_sha;
    auto it = diff.find(f->path);
    if (!(at_head && it != diff.end() && f->line > 0 && it->second.added.count(f->line)))
      out.outside_diff.push_back(f);
    else if (f->confidence < options.thread_min_confidence)
      out.low_confidence.push_back(f);
    else
      in_diff.push_back(f);
    if (out.outside_diff.empty() || out.outside_diff.back() != f) added.push_back(f);
  }

  // Dependency findings get one thread per package (all its advisories share the lockfile line).
  std::vector<const Finding*> dependency_findings;
  std::erase_if(in_diff, [&](const Finding* f) {
    if (!f->dependency) return false;
    dependency_findings.push_back(f);
    return true;
  });
  const auto packages = findings::group_dependencies(dependency_findings);

  Session session(api, target, diff, out, std::move(added));
  if (options.threads) {
    session.threads(in_diff, packages, result, current, options);
  } else {
    out.not_inline = in_diff;
    out.not_inline.insert(out.not_inline.end(), dependency_findings.begin(), dependency_findings.end());
  }
  if (options.summary_note) session.summary(result, options);
  return out;
}

}  // namespace agent::publish
