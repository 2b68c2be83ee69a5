#pragma once
// The text the agent posts: thread bodies, the MR summary note, replies and status descriptions.
// Deterministic (no clocks): the same findings give byte-identical bodies, so a re-run edits nothing.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/findings/dependency_groups.h"
#include "agent/findings/finding.h"

namespace agent::publish {

/// The fingerprint used for a finding: its own, else a hash of control, rule, path and line.
std::string fingerprint_of(const findings::Finding& finding);

/// Body of the inline thread for `finding` (markers first; file names and matches as code spans).
std::string thread_body(const findings::Finding& finding);

/// The thread key of a vulnerable package (findings::package_group_key): one thread per package,
/// version and lockfile, whatever its advisories.
std::string package_thread_key(const findings::PackageGroup& group);

/// Body of the one inline thread for a vulnerable package: the upgrade that fixes it and every
/// advisory (markers first; the thread is edited in place when the advisories change).
std::string package_thread_body(const findings::PackageGroup& group);

/// Reply posted before resolving a thread whose finding is gone at `head_sha`.
std::string resolved_reply(std::string_view head_sha);
/// The reply that resolves a thread whose line left the MR's diff while the finding is still in
/// the branch's history (a later commit removed the line; the secret stays readable in git).
std::string left_diff_reply(std::string_view head_sha);
/// The same for a thread of `control`: the secrets wording above for "secrets" (and for an unknown
/// control), a neutral one for every other control (a SAST finding is not leaked by history).
std::string left_diff_reply(std::string_view head_sha, std::string_view control);

/// Reply posted when a thread the agent resolved is reopened because the finding is back.
std::string reopened_reply(std::string_view head_sha);

/// What the summary note shows.
struct SummaryInput {
  std::vector<findings::Finding> findings;             ///< every finding of the scan
  std::vector<std::string> controls;                   ///< controls that ran (one table row each)
  std::vector<const findings::Finding*> outside_diff;  ///< not on a line the MR adds
  std::vector<const findings::Finding*> not_inline;    ///< on an added line but without a thread
  std::vector<const findings::Finding*> low_confidence;  ///< on an added line, too unsure for a thread
  /// Every finding on a line the MR adds (threaded or not): the "new" ones of each external
  /// control's section. Empty: those sections give counts only.
  std::vector<const findings::Finding*> added;
  std::vector<findings::ControlIssue> errored;         ///< controls that did not run: stated at the top
  std::vector<findings::ControlIssue> skipped;         ///< enabled controls that did not apply
  /// Findings ignores.yml dismissed (each with its suppression): counted and listed, never threaded.
  std::vector<const findings::Finding*> ignored;
  std::string head_sha;
  std::optional<findings::Severity> fail_on;           ///< nullopt: policy never fails
  std::string pipeline_url;                            ///< linked when it is a safe http(s) URL
  std::size_t max_listed = 50;                         ///< longer lists end with "and N more"
};

/// Body of the summary note (starts with kSummaryMarker).
std::string summary_body(const SummaryInput& input);

/// One line for the commit status (<= 255 characters): counts and the policy verdict.
std::string status_description(const std::vector<findings::Finding>& findings,
                               std::optional<findings::Severity> fail_on);

/// Number of findings at or above `fail_on` (0 when nullopt).
std::size_t count_failing(const std::vector<findings::Finding>& findings, std::optional<findings::Severity> fail_on);

}  // namespace agent::publish
