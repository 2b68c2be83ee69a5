#include "agent/publish/dry_run.h"

#include <spdlog/spdlog.h>

namespace agent::publish {

void DryRunApi::plan(std::string line) {
  spdlog::info("dry run: would {}", line);
  planned_.push_back(std::move(line));
}

std::vector<gitlab::MrVersion> DryRunApi::merge_request_versions(const std::string& project, std::int64_t iid) {
  if (real_) return real_->merge_request_versions(project, iid);
  // Without GitLab, pretend one version so the plan shows the threads that would be posted.
  return {gitlab::MrVersion{0, "head", "base", "start", "collected"}};
}

std::vector<gitlab::Discussion> DryRunApi::merge_request_discussions(const std::string& project, std::int64_t iid) {
  return real_ ? real_->merge_request_discussions(project, iid) : std::vector<gitlab::Discussion>{};
}

gitlab::Discussion DryRunApi::create_discussion(const std::string&, std::int64_t, const std::string&,
                                                const std::optional<gitlab::Position>& position) {
  plan("open a thread" + (position && position->new_line
                              ? " on " + position->new_path + ":" + std::to_string(*position->new_line)
                              : std::string()));
  return {};
}

gitlab::Note DryRunApi::reply_to_discussion(const std::string&, std::int64_t, const std::string& id,
                                            const std::string&) {
  plan("reply to thread " + id);
  return {};
}

gitlab::Discussion DryRunApi::resolve_discussion(const std::string&, std::int64_t, const std::string& id,
                                                 bool resolved) {
  plan(std::string(resolved ? "resolve" : "reopen") + " thread " + id);
  return {};
}

std::vector<gitlab::Note> DryRunApi::merge_request_notes(const std::string& project, std::int64_t iid) {
  return real_ ? real_->merge_request_notes(project, iid) : std::vector<gitlab::Note>{};
}

gitlab::Note DryRunApi::create_note(const std::string&, std::int64_t, const std::string&) {
  plan("post the summary note");
  return {};
}

gitlab::Note DryRunApi::update_note(const std::string&, std::int64_t, std::int64_t note_id, const std::string&) {
  plan("edit the summary note " + std::to_string(note_id));
  return {};
}

void DryRunApi::set_commit_status(const std::string&, const std::string& sha, const gitlab::CommitStatus& s) {
  plan("set status " + s.name + "=" + s.state + " on " + sha.substr(0, 12) + " (" + s.description + ")");
}

}  // namespace agent::publish
