#pragma once
// The partial results of one shard of a sharded CI scan (`jit-agent ci --shard I/N`), written as
// jit-partial-<I>-of-<N>.json into the output folder (a job artifact) and read back by
// `jit-agent merge`. It holds everything merge needs to write the reports and post exactly as
// one unsharded job would: no git fetch in merge. Partials leave the machine as artifacts:
// secrets are stored redacted and hashed, never raw.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/findings/finding.h"
#include "agent/job/shard.h"
#include "agent/publish/merge_request.h"
#include "agent/report/dependency_reports.h"
#include "agent/util/error.h"

namespace agent::job {

/// `jit-agent merge`'s exit code when it refuses (partials missing, foreign, disagreeing or not
/// readable: nothing written or posted). Merge's alone, so it extends util::ExitCode (0..5) here.
inline constexpr util::ExitCode kExitShards = static_cast<util::ExitCode>(6);

/// Bumped when a field changes meaning; merge refuses other versions.
inline constexpr int kPartialVersion = 1;

/// Which event the shard scanned: every shard of a pipeline must agree on it.
struct EventIdentity {
  std::string kind;               ///< event::to_string(Kind): "merge_request", "push", ...
  std::int64_t project_id = 0;
  std::string project_path;
  std::string head_sha;           ///< the commit scanned (as fetched), "" when nothing was
  std::int64_t merge_request_iid = 0;
  bool operator==(const EventIdentity&) const = default;
};

/// What the shard did: scanned its part, or found the event needs no scan (skipped), or left
/// the event to the merge job (deferred: a thread command, handled once by merge).
enum class PartialStatus { scanned, skipped, deferred };
std::string_view to_string(PartialStatus status);

struct Partial {
  int version = kPartialVersion;
  Shard shard;
  PartialStatus status = PartialStatus::scanned;
  std::string reason;                        ///< skipped/deferred: why
  EventIdentity event;
  std::string mode;                          ///< "added lines" | "changed files" | "full tree"
  std::optional<std::string> repo_config;    ///< .jit/jit-config.yml of the head, when it has one
  findings::ScanResult result;               ///< before ignores and min_confidence (merge applies them once)
  std::vector<report::SbomLockfile> sboms;
  std::optional<publish::DiffIndex> diff;    ///< the MR's final diff (merge requests only)
};

/// jit-partial-<I>-of-<N>.json
std::string partial_file_name(Shard shard);

/// The partial as JSON text. SecretDetail::raw is never written.
std::string to_json_text(const Partial& partial);

/// Parses a partial; `origin` names it in errors. Throws util::Error (kExitShards) when the
/// text is not a partial of this version.
Partial parse_partial(std::string_view text, const std::string& origin);

/// Writes `partial` into `dir` (atomically) and returns the file's path.
std::filesystem::path write_partial(const std::filesystem::path& dir, const Partial& partial);

/// Every jit-partial-*.json directly in `dirs` (sorted by name). Throws util::Error
/// (kExitShards) when a folder does not exist.
std::vector<std::filesystem::path> find_partials(const std::vector<std::filesystem::path>& dirs);

}  // namespace agent::job
