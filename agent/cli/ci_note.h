#pragma once
// The MR thread commands of `jit-agent ci`: a developer replies `#jit_ignore_fp`,
// `#jit_ignore_accept` (optionally followed by a reason) or `#jit_undo_ignore` in a thread the
// agent opened; the agent checks the author's access (Developer or above on the target project),
// commits the change to ignores.yml in the dedicated project through the commits API (guarded by
// the file's last_commit_id: a concurrent edit is re-read and re-applied, never overwritten),
// replies in the thread and resolves it (or reopens it on undo). A replayed webhook changes
// nothing twice.
#include <optional>
#include <string>

#include "agent/event/event.h"
#include "agent/gitlab/api.h"
#include "agent/gitlab/repository_api.h"

namespace agent::cli {

/// Where the ignores live: the dedicated project (CI_PROJECT_ID, else CI_PROJECT_PATH), its
/// branch (CI_DEFAULT_BRANCH, else "main") and the file's path in it (JIT_IGNORES_FILE, else
/// "ignores.yml").
struct IgnoresLocation {
  std::string project;
  std::string branch;
  std::string path;
};

/// What handling a command did.
struct NoteOutcome {
  enum class Kind {
    not_ours,       ///< not a reply in a thread the agent opened: nothing done
    replayed,       ///< this note was handled before: nothing done
    refused,        ///< the author may not dismiss findings: a polite reply, nothing committed
    ignored,        ///< entry added (or already there): reply, thread resolved
    unignored,      ///< entry removed (or already gone): reply, thread reopened
  };
  Kind kind = Kind::not_ours;
  std::string commit;                 ///< the ignores.yml commit, when one was made
  std::string ignores_text;           ///< the file's content after the change (ignored/unignored)
  std::string fingerprint;
};

/// Handles the note event `ev` (a command reply on an MR). `target` is the target project's API id.
/// Throws gitlab::ApiError when GitLab refuses or cannot be reached after the retries.
NoteOutcome handle_note_command(const event::Event& ev, const std::string& target, const IgnoresLocation& where,
                                gitlab::Api& api, gitlab::RepositoryApi& repository);

}  // namespace agent::cli
