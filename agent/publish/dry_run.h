#pragma once
// --dry-run: reads from GitLab when a real API is given (so the plan is exact), never writes;
// every write is logged and counted instead.
#include <string>
#include <vector>

#include "agent/gitlab/api.h"

namespace agent::publish {

class DryRunApi : public gitlab::Api {
 public:
  /// `real` may be null (no API configured): reads then return empty lists.
  explicit DryRunApi(gitlab::Api* real) : real_(real) {}

  /// One line per write that would have been sent, e.g. "POST discussion app.py:12".
  const std::vector<std::string>& planned() const { return planned_; }

  std::vector<gitlab::MrVersion> merge_request_versions(const std::string& project, std::int64_t iid) override;
  std::vector<gitlab::Discussion> merge_request_discussions(const std::string& project, std::int64_t iid) override;
  gitlab::Discussion create_discussion(const std::string& project, std::int64_t iid, const std::string& body,
                                       const std::optional<gitlab::Position>& position) override;
  gitlab::Note reply_to_discussion(const std::string& project, std::int64_t iid, const std::string& discussion_id,
                                   const std::string& body) override;
  gitlab::Discussion resolve_discussion(const std::string& project, std::int64_t iid,
                                        const std::string& discussion_id, bool resolved) override;
  std::vector<gitlab::Note> merge_request_notes(const std::string& project, std::int64_t iid) override;
  gitlab::Note create_note(const std::string& project, std::int64_t iid, const std::string& body) override;
  gitlab::Note update_note(const std::string& project, std::int64_t iid, std::int64_t note_id,
                           const std::string& body) override;
  void set_commit_status(const std::string& project, const std::string& sha,
                         const gitlab::CommitStatus& status) override;

 private:
  void plan(std::string line);

  gitlab::Api* real_;
  std::vector<std::string> planned_;
};

}  // namespace agent::publish
