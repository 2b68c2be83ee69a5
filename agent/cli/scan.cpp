// `jit-agent scan [PATH]`: a local working tree -> controls -> findings -> terminal and reports.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <set>
#include <iostream>
#include <sstream>
#include <thread>

#include "agent/checkout/worktree.h"
#include "agent/cli/commands.h"
#include "agent/cli/history_scan.h"
#include "agent/cli/settings.h"
#include "agent/cli/scan_runner.h"
#include "agent/config/ignores.h"
#include "agent/config/vex.h"
#include "agent/job/reports.h"
#include "agent/job/token_check.h"
#include "agent/report/report.h"
#include "agent/report/time_format.h"
#include "agent/util/error.h"
#include "agent/util/fs.h"

namespace agent::cli {
namespace {

struct ScanOptions {
  std::string path = ".";
  std::string format = "text";
  std::string output;
  std::vector<std::string> reports;
  std::string fail_on = "low";
  std::string min_confidence = "low";
  std::vector<std::string> excludes;
  std::string max_file_size = "10MiB";
  unsigned jobs = std::max(1u, std::thread::hardware_concurrency());
  bool show_secrets = false;
  std::vector<std::string> rules;
  std::vector<std::string> controls;
  std::vector<std::string> control_settings;
  std::string db;
  std::string config;
  std::string sbom_dir;
  std::string ignores;
  std::string baseline;
  std::string write_baseline;
  bool show_ignored = false;
  bool details = false;
  std::vector<std::string> vex;
  bool no_git = false;
  bool no_cache = false;
  int decode_depth = 1;
  bool history = false;
  std::string range;
  std::string since;
  bool validate = false;
  std::string gitlab_url;
};

/// A report destination: format + file ("-" = stdout).
struct Destination {
  std::string format;
  std::string file;
};

std::vector<Destination> destinations(const ScanOptions& o) {
  std::vector<Destination> out;
  for (const auto& spec : o.reports) {
    auto eq = spec.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size())
      throw util::UsageError("--report " + spec + ": expected FORMAT=FILE (e.g. sarif=out.sarif)");
    out.push_back({spec.substr(0, eq), spec.substr(eq + 1)});
  }
  // --format/--output describe the main output: stdout unless --output is given.
  out.insert(out.begin(), {o.format, o.output.empty() ? "-" : o.output});
  for (const auto& d : out)
    if (!report::writer_for(d.format)) {
      std::string names;
      for (const auto& n : report::format_names()) names += (names.empty() ? "" : ", ") + n;
      throw util::UsageError("unknown report format '" + d.format + "' (known: " + names + ")");
    }
  return out;
}

/// Every finding still reported, as accepted_risk entries of a new ignores file (written atomically;
/// an existing file is replaced).
void write_baseline(const std::string& file, const findings::ScanResult& result) {
  const std::string created = report::rfc3339_utc(std::chrono::system_clock::now());
  std::string text = "# Baseline written by `jit-agent scan --write-baseline` on " + created.substr(0, 10) +
                     ": every finding of that scan, accepted.\n# `jit-agent scan --baseline " + file +
                     "` then reports only what is new. Entries can be removed one by one.\n";
  std::set<std::string> seen;
  for (const auto& f : result.findings) {
    if (f.fingerprint.empty() || !seen.insert(f.fingerprint).second) continue;
    text = config::add_ignore_text(text, config::baseline_entry(f, created), file);
  }
  if (seen.empty()) text += "ignores: []\n";
  util::write_file_atomic(file, text);
  spdlog::info("baseline of {} finding{} written to {}", seen.size(), seen.size() == 1 ? "" : "s", file);
}

/// `--history`, `--range`, `--since`: secrets in every unique blob of the history instead of the tree.
ScanOutcome scan_history_of(const ScanOptions& o, const ScanRequest& request, const GlobalOptions& global) {
  for (const auto& c : request.controls)
    if (c != "secrets")
      throw util::UsageError("--history: history scans run the secrets control only (not '" + c + "')");
  if (!o.range.empty() && !o.since.empty()) throw util::UsageError("--range and --since: give one of them");
  HistoryScanRequest h;
  h.repository = request.root.string();
  if (!o.range.empty()) h.range = checkout::parse_range(o.range);
  else if (!o.since.empty()) h.range.exclude.push_back(o.since);
  h.jobs = request.jobs;
  h.max_file_size = request.max_file_size;
  h.excludes = o.excludes;
  for (const auto& g : scan_config(request).exclude) h.excludes.push_back(g);
  if (request.use_cache) h.verdict_cache = verdict_cache_dir(global.env);
  if (!h.verdict_cache.empty()) h.walk_cache = h.verdict_cache.parent_path() / "walks";
  h.progress = !global.quiet;
  h.progress_tty = ::isatty(STDERR_FILENO) == 1;
  auto engine = make_secrets_engine(request, global.env);
  ScanOutcome outcome;
  outcome.result = scan_history(engine, h);
  const auto& s = outcome.result.stats;
  spdlog::info("history: {} commit{}, {} blob{} read ({} bytes), {} answered by the verdict cache", s.commits_scanned,
               s.commits_scanned == 1 ? "" : "s", s.files_scanned + s.skipped_binary,
               s.files_scanned + s.skipped_binary == 1 ? "" : "s", s.bytes_scanned, s.blobs_cached);
  return outcome;
}

int run_scan(const ScanOptions& o, const GlobalOptions& global) {
  ScanRequest request;
  request.root = o.path;
  request.list.excludes = o.excludes;
  request.list.use_git = !o.no_git;
  request.jobs = o.jobs == 0 ? std::max(1u, std::thread::hardware_concurrency()) : o.jobs;
  auto max = util::parse_size(o.max_file_size);
  if (!max) throw util::UsageError("--max-file-size " + o.max_file_size + ": expected a size like 10MiB, 500k or 4096");
  request.max_file_size = *max;
  request.rule_paths = {o.rules.begin(), o.rules.end()};
  request.controls = o.controls;
  request.control_settings = o.control_settings;
  request.db_dir = o.db;
  request.config_file = o.config;
  request.use_cache = !o.no_cache;
  if (o.decode_depth < 0) throw util::UsageError("--decode-depth must be 0 or more");
  request.decode_depth = o.decode_depth;
  auto fail_on = parse_fail_on(o.fail_on);
  const auto min_confidence = parse_min_confidence(o.min_confidence);
  auto dests = destinations(o);  // validated before any work

  // Ignore files are validated before any work, like the rest of the input.
  std::vector<config::Ignores> ignore_files;
  if (!o.ignores.empty()) ignore_files.push_back(config::load_ignores(o.ignores));
  if (!o.baseline.empty()) ignore_files.push_back(config::load_ignores(o.baseline));
  std::vector<config::VexDocument> vex;
  for (const auto& file : o.vex) vex.push_back(config::load_vex(file));

  const bool history = o.history || !o.range.empty() || !o.since.empty();
  ScanOutcome outcome = history ? scan_history_of(o, request, global) : run_controls(request, global.env);
  const std::string today = config::today_utc();
  for (const auto& ig : ignore_files)
    if (auto n = config::apply_ignores(ig, outcome.result, "", today))
      spdlog::info("{} finding{} ignored by {}", n, n == 1 ? "" : "s", ig.file);
  if (auto n = config::apply_vex(vex, outcome.result))
    spdlog::info("{} finding{} dismissed by VEX statements", n, n == 1 ? "" : "s");
  if (!o.write_baseline.empty()) write_baseline(o.write_baseline, outcome.result);
  if (auto dropped = findings::drop_below_confidence(outcome.result.findings, min_confidence))
    spdlog::info("{} finding{} below --min-confidence {} not reported", dropped, dropped == 1 ? "" : "s",
                 findings::to_string(min_confidence));

  if (o.validate) {
    // The working tree's line tells which instance a token belongs to; history finds have none.
    const std::filesystem::path root = request.root;
    job::check_tokens(job::token_check_settings_for_scan(global.env, o.gitlab_url), outcome.result,
                      [&root](const findings::Finding& f) {
                        if (!f.commit.empty() || f.path.empty()) return std::string();
                        try {
                          return job::line_at(util::read_file(root / f.path), f.line);
                        } catch (const util::Error&) {
                          return std::string();
                        }
                      });
  }

  report::Options ropts;
  ropts.show_secrets = o.show_secrets;
  ropts.show_ignored = o.show_ignored;
  ropts.details = o.details;
  for (const auto& d : dests) {
    auto writer = report::writer_for(d.format);
    if (d.file == "-") {
      ropts.color = d.format == "text" && use_color(global, STDOUT_FILENO);
      writer(std::cout, outcome.result, ropts);
      std::cout.flush();
    } else {
      ropts.color = false;
      std::ostringstream buf;
      writer(buf, outcome.result, ropts);
      util::write_file_atomic(d.file, buf.str());
      spdlog::info("wrote {} report to {}", d.format, d.file);
    }
  }
  if (!o.sbom_dir.empty()) job::write_sboms(o.sbom_dir, outcome.sboms, outcome.result, "");
  for (const auto& w : outcome.result.warnings) spdlog::warn("{}", w);
  for (const auto& e : outcome.result.errored_controls)
    spdlog::error("control {} errored{}: {} (the reports hold what the other controls found)", e.control,
                  e.folder.empty() ? "" : " in " + e.folder, e.reason);
  return exit_code_for(outcome.result, fail_on);
}

}  // namespace

void add_scan(CLI::App& root, const GlobalOptions& global, Action& action) {
  auto o = std::make_shared<ScanOptions>();
  auto* sub = root.add_subcommand("scan", "Scan a local working tree (secrets, dependencies, external tools)");
  sub->footer(
      "Examples:\n"
      "  jit-agent scan                                 # the current folder, findings on the terminal\n"
      "  jit-agent scan repo --format sarif --output jit.sarif\n"
      "  jit-agent scan . --report gitlab=gl-secret-detection-report.json --report json=jit.json\n"
      "  jit-agent scan . --exclude 'node_modules/**' --exclude '*.min.js' --fail-on high\n"
      "  jit-agent scan . --control bandit --report gitlab-sast=gl-sast-report.json\n"
      "  jit-agent scan --history repo.git --report sarif=history.sarif   # every blob of every ref, once\n"
      "  jit-agent scan --range v1.0..main .              # secrets the commits since v1.0 added\n"
      "Exit codes: 0 nothing at or above --fail-on; 1 findings at or above it; 2 bad usage or configuration;\n"
      "3 I/O or git failure; 5 a control errored (tool missing, crashed, timed out, bad output): the reports\n"
      "hold what the other controls found.\n");
  sub->add_option("path", o->path, "Working tree to scan (a git checkout or any folder)")->capture_default_str();
  sub->add_option("-f,--format", o->format, "Main output format: text, json, sarif, gitlab, codequality, ...")->capture_default_str();
  sub->add_option("-o,--output", o->output, "Write the main output to FILE instead of stdout");
  sub->add_option("-r,--report", o->reports, "Also write FORMAT=FILE (repeatable)");
  sub->add_option("--fail-on", o->fail_on, "Exit 1 when a finding is at or above: info, low, medium, high, critical, none")->capture_default_str();
  sub->add_option("--min-confidence", o->min_confidence,
                  "Report only findings at or above: high, medium, low (low: all; low ones still count for --fail-on)")
      ->capture_default_str();
  sub->add_option("-e,--exclude", o->excludes, "Skip paths matching GLOB before reading (repeatable; ** spans folders)");
  sub->add_option("--max-file-size", o->max_file_size, "Skip files larger than SIZE (e.g. 10MiB, 500k)")->capture_default_str();
  sub->add_option("-j,--jobs", o->jobs, "Worker threads (default: number of cores)")->capture_default_str();
  sub->add_flag("--show-secrets", o->show_secrets, "Print secret values in text/json output (never in other reports)");
  sub->add_option("--rules", o->rules, "Secret rule files or folders instead of the built-in packs (repeatable)");
  sub->add_option("--controls,--control", o->controls,
                  "Controls to run, comma-separated or repeated: secrets, dependencies, a preset (bandit, flawfinder, "
                  "shellcheck, eslint) or a control of --config (default: the configured plan)")
      ->delimiter(',');
  sub->add_option("--control-set", o->control_settings,
                  "NAME.KEY=VALUE: a jit.yml key of an external control (repeatable; VALUE is YAML), e.g. "
                  "--control-set semgrep.command=semgrep --control-set 'semgrep.args=[\"--sarif\", \"-o\", "
                  "\"${REPORT_FILE}\", \"${FOLDER}\"]' --control-set semgrep.format=sarif --control semgrep");
  sub->add_option("--db", o->db, "OSV database folder for dependency scanning (default: $JIT_DB_DIR, else the user cache)");
  sub->add_option("--config", o->config, "Central jit config (jit.yml: controls, folders) merged under PATH/.jit/jit-config.yml");
  sub->add_option("--sbom-dir", o->sbom_dir, "Write a CycloneDX 1.5 SBOM per lockfile into DIR");
  sub->add_option("--ignores", o->ignores,
                  "An ignores file (ignores.yml of the dedicated project): findings it names are left out of the "
                  "reports and the exit code (SARIF keeps them as suppressed)");
  sub->add_option("--baseline", o->baseline, "Report only findings that are not in this baseline (--write-baseline)");
  sub->add_option("--write-baseline", o->write_baseline,
                  "Write every finding of this scan to FILE as accepted_risk ignore entries (onboarding)");
  sub->add_flag("--show-ignored", o->show_ignored, "List ignored findings in the text output too");
  sub->add_option("--vex", o->vex,
                  "An OpenVEX document: dependency findings it marks not_affected or fixed are dismissed "
                  "(kept in SARIF as suppressed, with the justification); repeatable")
      ->check(CLI::ExistingFile);
  sub->add_flag("--details", o->details,
                "Text output: one line per advisory under the table of vulnerable packages (one row per package)");
  sub->add_flag("--no-git", o->no_git, "Walk the folder even inside a git checkout (scan ignored files too)");
  sub->add_flag("--no-cache", o->no_cache, "Do not read or write the caches (compiled rule databases, secret verdicts of history blobs)");
  sub->add_option("--decode-depth", o->decode_depth,
                  "Levels of base64/hex/percent-encoded text searched for secrets (0: none)")->capture_default_str();
  sub->add_flag("--history", o->history,
                "Scan the git history of PATH (a checkout or a bare repository) for secrets: every blob reachable from "
                "any ref, each read once, findings attributed to the commit that added them");
  sub->add_option("--range", o->range, "History scan of the commits in A..B only (implies --history)");
  sub->add_option("--since", o->since, "History scan of the commits not reachable from REV (implies --history)");
  sub->add_flag("--validate", o->validate,
                "Ask GitLab whether each GitLab token found is still active (read-only; off by default)");
  sub->add_option("--gitlab-url", o->gitlab_url,
                  "Instance --validate asks (default: $CI_SERVER_URL, else https://gitlab.com)");
  sub->callback([o, &global, &action] { action = [o, &global] { return run_scan(*o, global); }; });
}

}  // namespace agent::cli
