#pragma once
// `jit-agent doctor [--group GROUP]`: says what is wrong with an onboarded group, one line per
// check, and exits by the worst (0 ok, 7 warn, 8 error). The cheap part (the checkout token's
// expiry and scopes, the variable's masking) also runs at the start of every `ci` job, as warnings.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/util/environment.h"

namespace agent::cli {

/// Exit codes of doctor and setup, after util::ExitCode's 0-5 and merge's 6 (commands.cpp lists them all).
inline constexpr int kExitWarnings = 7;  ///< doctor: the worst check warns; setup: done but for the group webhook (no Premium)
inline constexpr int kExitProblems = 8;  ///< doctor: at least one check failed

enum class CheckLevel { ok, warn, error };

/// One line of the doctor's report.
struct Check {
  std::string name;      ///< "token", "variable", "webhook", ...
  CheckLevel level = CheckLevel::ok;
  std::string message;   ///< what was found
  std::string fix;       ///< what to do (warn and error only)
};

/// "ok", "warn", "error".
std::string_view to_string(CheckLevel level);

/// "warn  token: expires in 12 days (2026-12-14) -> fix: ..." (no fix on an ok line).
std::string format_check(const Check& check);

/// 0 when every check is ok, 7 when the worst warns, 8 when one failed.
int doctor_exit_code(const std::vector<Check>& checks);

/// Days from `today` to the date "YYYY-MM-DD" (negative when past); nullopt when not a date.
std::optional<int> days_until(std::string_view date, std::chrono::sys_days today);

/// The token's lifetime: error when expired (GitLab refuses it from the start of its expiry day),
/// warn within 30 days, ok otherwise or without expiry.
Check token_expiry_check(const std::string& name, const std::string& expires_at, std::chrono::sys_days today);

/// A token's scopes: api and write_repository are needed (error when one is missing).
Check token_scopes_check(const std::string& name, const std::vector<std::string>& scopes);

/// JIT_CHECKOUT_TOKEN as GitLab lists it: masked and hidden (error when not masked, warn when
/// only masked), and protected (warn when not).
Check variable_check(bool masked, bool hidden, bool is_protected);

/// -1, 0, 1 comparing dotted versions ("0.10.0" > "0.9.3"); a leading "v" is ignored; nullopt
/// when either is not a version.
std::optional<int> compare_versions(std::string_view a, std::string_view b);

/// The image the pipeline pins against the running agent's version: warn when older or not
/// pinned to a version (latest, a digest-less branch tag).
Check image_check(const std::string& image, std::string_view agent_version);

/// The checks a `ci` job runs first: the checkout token's self-inspection and JIT_CHECKOUT_TOKEN's
/// flags, each request bounded by a few seconds and never retried. Never throws: a failure to
/// ask is a warn line. Empty when JIT_DOCTOR=false or when the job has no API URL or token.
std::vector<Check> ci_preflight(const util::Environment& env);

/// Runs ci_preflight and logs each line (warn lines as warnings); never throws.
void log_ci_preflight(const util::Environment& env);

}  // namespace agent::cli
