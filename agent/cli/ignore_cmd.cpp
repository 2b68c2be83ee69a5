// `jit-agent ignore add|remove|list`: edits an ignores file (ignores.yml of the dedicated project)
// as a reviewer would by hand: the entry is appended or its lines removed, every other line (and
// comment) stays as it was. The result is validated before it is written (atomically).
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iostream>

#include "agent/cli/commands.h"
#include "agent/config/ignores.h"
#include "agent/report/report.h"
#include "agent/report/time_format.h"
#include "agent/util/error.h"
#include "agent/util/fs.h"

namespace agent::cli {
namespace {
namespace fs = std::filesystem;

struct IgnoreOptions {
  std::string file = "ignores.yml";
  std::string fingerprint;
  std::string rule;
  std::string advisory;
  std::string package;
  std::string path;
  std::string project;
  std::string reason;
  std::string comment;
  std::string expires;
  std::string author;
};

/// The file's text; "" when it does not exist yet (add creates it).
std::string read_or_empty(const fs::path& file) {
  std::error_code ec;
  return fs::exists(file, ec) ? util::read_file(file) : std::string();
}

int run_add(const IgnoreOptions& o) {
  config::IgnoreEntry e;
  e.fingerprint = o.fingerprint;
  e.rule = o.rule;
  e.advisory = o.advisory;
  e.package = o.package;
  e.path = o.path;
  e.project = o.project;
  e.comment = o.comment;
  e.expires = o.expires;
  e.author_username = o.author;
  auto reason = config::parse_ignore_reason(o.reason);
  if (!reason) throw util::UsageError("--reason " + o.reason + ": expected false_positive or accepted_risk");
  e.reason = *reason;
  e.created = report::rfc3339_utc(std::chrono::system_clock::now());
  const std::string text = read_or_empty(o.file);
  // add_ignore_text validates the file, the new entry's values (as if written by hand) and the result.
  const std::string next = config::add_ignore_text(text, e, o.file);
  util::write_file_atomic(o.file, next);
  // Line by line: sanitize_terminal drops control characters, newlines included.
  std::cout << "added to " << report::sanitize_terminal(o.file) << ":\n";
  const std::string block = config::entry_yaml(e);
  for (std::size_t i = 0; i < block.size();) {
    const std::size_t eol = std::min(block.find('\n', i), block.size());
    std::cout << report::sanitize_terminal(std::string_view(block).substr(i, eol - i)) << "\n";
    i = eol + 1;
  }
  return 0;
}

int run_remove(const IgnoreOptions& o) {
  if (o.fingerprint.empty()) throw util::UsageError("ignore remove: give --fingerprint FP");
  const std::string text = read_or_empty(o.file);
  auto next = config::remove_ignore_text(text, o.fingerprint, o.file);
  if (!next) throw util::UsageError(o.file + ": no entry with fingerprint " + o.fingerprint);
  util::write_file_atomic(o.file, *next);
  std::cout << "removed " << o.fingerprint << " from " << o.file << "\n";
  return 0;
}

int run_list(const IgnoreOptions& o) {
  const auto ignores = config::parse_ignores(read_or_empty(o.file), o.file);
  const std::string today = config::today_utc();
  if (ignores.entries.empty()) std::cout << o.file << ": no entries\n";
  for (const auto& e : ignores.entries) {
    std::string what = !e.fingerprint.empty() ? "fingerprint " + e.fingerprint
                       : !e.rule.empty()      ? "rule " + e.rule + (e.path.empty() ? "" : " in " + e.path)
                                              : "advisory " + e.advisory + (e.package.empty() ? "" : " of " + e.package);
    std::string line = e.source + "  " + what + "  " + std::string(config::to_string(e.reason));
    if (!e.project.empty()) line += "  project " + e.project;
    if (!e.author_username.empty()) line += "  by @" + e.author_username;
    if (!e.expires.empty()) line += config::expired(e, today) ? "  EXPIRED " + e.expires : "  until " + e.expires;
    if (!e.comment.empty()) line += "  # " + e.comment;
    std::cout << report::sanitize_terminal(line) << "\n";
  }
  return 0;
}

}  // namespace

void add_ignore(CLI::App& root, const GlobalOptions& /*global*/, Action& action) {
  auto o = std::make_shared<IgnoreOptions>();
  auto* sub = root.add_subcommand("ignore", "Edit an ignores file (ignores.yml): add, remove or list entries");
  sub->require_subcommand(1);
  sub->footer(
      "Examples:\n"
      "  jit-agent ignore add --fingerprint 722c0a28b9ba... --reason false_positive --comment 'revoked test key'\n"
      "  jit-agent ignore add --rule generic-password --path '**/testdata/**' --reason accepted_risk\n"
      "  jit-agent ignore add --advisory GHSA-xxxx-xxxx-xxxx --package django --reason accepted_risk --expires 2027-03-01\n"
      "  jit-agent ignore remove --fingerprint 722c0a28b9ba...\n"
      "  jit-agent ignore list\n");
  auto file_option = [o](CLI::App* app) {
    app->add_option("--file", o->file, "The ignores file")->capture_default_str();
  };
  auto* add = sub->add_subcommand("add", "Append an entry (the file is created when missing)");
  file_option(add);
  add->add_option("--fingerprint", o->fingerprint, "One finding, by the fingerprint its report or MR thread gives");
  add->add_option("--rule", o->rule, "A rule id of any control (with --path: only there)");
  add->add_option("--advisory", o->advisory, "An advisory id or alias (with --package: only that package)");
  add->add_option("--package", o->package, "With --advisory");
  add->add_option("--path", o->path, "A path glob (with --rule or --advisory)");
  add->add_option("--project", o->project, "Only in projects matching this glob (group/app, group/**)");
  add->add_option("--reason", o->reason, "false_positive or accepted_risk")->required();
  add->add_option("--comment", o->comment, "Why (kept in the file and in SARIF's justification)");
  add->add_option("--expires", o->expires, "YYYY-MM-DD: the entry no longer applies after it");
  add->add_option("--author", o->author, "GitLab username of who decided");
  add->callback([o, &action] { action = [o] { return run_add(*o); }; });
  auto* remove = sub->add_subcommand("remove", "Remove the entry with a fingerprint (and its comment lines)");
  file_option(remove);
  remove->add_option("--fingerprint", o->fingerprint, "The entry's fingerprint")->required();
  remove->callback([o, &action] { action = [o] { return run_remove(*o); }; });
  auto* list = sub->add_subcommand("list", "List the entries (expired ones marked)");
  file_option(list);
  list->callback([o, &action] { action = [o] { return run_list(*o); }; });
}

}  // namespace agent::cli
