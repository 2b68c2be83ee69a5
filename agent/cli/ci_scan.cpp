#include "agent/cli/ci_scan.h"
#include "agent/cli/scan_runner.h"
#include "agent/cli/settings.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <filesystem>
#include <memory>
#include <optional>
#include <set>
#include <thread>

#include "agent/checkout/diff.h"
#include "agent/checkout/git.h"
#include "agent/checkout/sparse.h"
#include "agent/checkout/worktree.h"
#include "agent/controls/dependencies/dependencies_control.h"
#include "agent/controls/dependencies/osv_db.h"
#include "agent/controls/external/external_control.h"
#include "agent/controls/secrets/engine.h"
#include "agent/controls/secrets/rule.h"
#include "agent/controls/secrets/secrets_control.h"
#include "agent/controls/secrets/verdict_cache.h"
#include "agent/publish/render.h"
#include "agent/util/error.h"
#include "agent/util/fs.h"
#include "agent/util/glob.h"

namespace agent::cli {
namespace {
namespace fs = std::filesystem;
namespace secrets = controls::secrets;
namespace deps = controls::dependencies;
using findings::Finding;
using findings::ScanResult;

constexpr std::uint64_t kMaxFileSize = 10ull << 20;

/// A private scratch folder under $TMPDIR (else /tmp), removed with everything in it.
util::TempDir scratch_dir(const util::Environment& env) {
  return util::TempDir(env.get_or("TMPDIR", "/tmp"), "jit-agent-ci-");
}

checkout::FolderFilter folder_filter(const config::FoldersConfig& folders) {
  std::vector<std::string> paths;
  for (const auto& f : folders.folders) paths.push_back(f.path);
  return checkout::FolderFilter(paths);
}

/// The central and repository excludes, then the monorepo folder's own excludes.
bool excluded(const CiScanInput& in, std::string_view path) {
  for (const auto& g : in.cfg.exclude)
    if (util::glob_match(g, path)) return true;
  if (const config::Folder* f = config::folder_for(in.folders, path)) return config::excluded_in(*f, path);
  return in.folders.configured();  // outside every configured folder
}

/// False for a path another shard scans (diff scans of a shard).
bool in_shard(const CiScanInput& in, std::string_view path) { return !in.plan || in.plan->mine(path); }

/// Scans one in-memory text; `line_of` maps the text's line numbers to the file's.
template <typename LineMap>
void scan_text(const secrets::Engine& engine, secrets::Scratch& scratch, std::string_view text, const std::string& path,
               const std::string& commit, LineMap&& line_of, ScanResult& out) {
  std::vector<Finding> found;
  engine.scan(text, path, scratch, found, out.stats);
  out.stats.files_scanned++;
  out.stats.bytes_scanned += text.size();
  for (auto& f : found) {
    f.line = line_of(f.line);
    f.end_line = f.end_line > 0 ? line_of(f.end_line) : f.line;
    f.commit = commit;
    out.findings.push_back(std::move(f));
  }
}

secrets::Engine make_engine(const CiScanInput& in) {
  secrets::Engine engine(secrets::load_rules({rules_dir(in.env)}), secrets_cache_dir(in.env));
  engine.set_decode_depth(in.decode_depth);
  engine.set_exact_values(in.exact_values);
  return engine;
}

/// The final diff first (its line numbers are the head's, where threads go), then each commit's
/// own additions for what a later commit removed again.
void secrets_on_added_lines(const CiScanInput& in, ScanResult& out) {
  auto engine = make_engine(in);
  auto scratch = engine.make_scratch();
  const auto filter = folder_filter(in.folders);
  const std::string& base = in.fetched.merge_base;
  const std::string& head = in.fetched.head_sha;
  for (const auto& t : checkout::added_lines(in.repo, base, head, filter)) {
    if (!in_shard(in, t.path)) continue;
    if (excluded(in, t.path)) { out.stats.skipped_excluded++; continue; }
    scan_text(engine, *scratch, t.text, t.path, t.commit, [&t](int l) { return t.line_at(l); }, out);
  }
  ScanResult per_commit;
  for (const auto& t : checkout::added_lines_per_commit(in.repo, base, head, filter)) {
    if (t.commit == head || !in_shard(in, t.path) || excluded(in, t.path)) continue;
    scan_text(engine, *scratch, t.text, t.path, t.commit, [&t](int l) { return t.line_at(l); }, per_commit);
  }
  std::set<std::string> seen;
  for (const auto& f : out.findings) seen.insert(publish::fingerprint_of(f));
  for (auto& f : per_commit.findings)
    if (seen.insert(publish::fingerprint_of(f)).second) out.findings.push_back(std::move(f));
  out.stats.suppressed += per_commit.stats.suppressed;
}

std::vector<checkout::FileDiff> changed_files(const CiScanInput& in) {
  std::vector<checkout::FileDiff> out;
  for (auto& d : checkout::diff_files(in.repo, in.fetched.merge_base, in.fetched.head_sha, folder_filter(in.folders)))
    if (d.status != 'D') out.push_back(std::move(d));
  return out;
}

/// The changed files this shard scans (all of them unsharded).
std::vector<checkout::FileDiff> shard_changes(const CiScanInput& in) {
  auto out = changed_files(in);
  std::erase_if(out, [&in](const checkout::FileDiff& d) { return !in_shard(in, d.new_path); });
  return out;
}

/// Whole changed files of the head commit, read from the mirror.
void secrets_in_changed_files(const CiScanInput& in, ScanResult& out) {
  auto engine = make_engine(in);
  auto scratch = engine.make_scratch();
  for (const auto& d : shard_changes(in)) {
    if (excluded(in, d.new_path)) { out.stats.skipped_excluded++; continue; }
    auto content = checkout::read_file(in.repo, in.fetched.head_sha, d.new_path);
    if (!content) continue;
    if (content->size() > kMaxFileSize) { out.stats.skipped_too_large++; continue; }
    if (d.binary || secrets::looks_binary(*content)) { out.stats.skipped_binary++; continue; }
    scan_text(engine, *scratch, *content, d.new_path, in.fetched.head_sha, [](int l) { return l; }, out);
  }
}

/// Writes `paths` of `commit` under `dir` (those that exist there) and returns them as scan entries.
std::vector<controls::FileEntry> materialize(git_repository* repo, const std::string& commit,
                                             const std::vector<std::string>& paths, const fs::path& dir) {
  std::vector<controls::FileEntry> out;
  for (const auto& p : paths) {
    auto content = checkout::read_file(repo, commit, p);
    if (!content) continue;
    util::write_file_atomic(dir / p, *content);
    out.push_back(controls::FileEntry{p, dir / p, content->size()});
  }
  return out;
}

/// Runs the dependencies control over the given files of `commit`, written under `dir`.
ScanResult dependencies_on(const CiScanInput& in, const fs::path& db, const std::string& commit,
                           const std::vector<std::string>& paths, const fs::path& dir) {
  ScanResult r;
  controls::ScanInput input;
  input.root = dir;
  input.commit_sha = commit;
  input.files = materialize(in.repo, commit, paths, dir);
  deps::DependenciesControl control(db, in.folders);
  control.run(input, r);
  if (in.sboms && commit == in.fetched.head_sha)
    for (const auto& scanned : control.lockfiles()) in.sboms->push_back(to_sbom(scanned));
  return r;
}

/// Changed lockfiles only; for added lines, advisories the merge base already had are left out.
void dependencies_in_changes(const CiScanInput& in, const fs::path& db, ScanResult& out) {
  util::TempDir work = scratch_dir(in.env);
  std::vector<controls::FileEntry> candidates;
  for (const auto& d : shard_changes(in))
    if (!excluded(in, d.new_path)) candidates.push_back(controls::FileEntry{d.new_path, work.path() / d.new_path, 0});
  std::vector<std::string> lockfiles;
  for (const auto& [entry, folder] : deps::select_lockfiles(candidates, in.folders)) lockfiles.push_back(entry->path);
  if (lockfiles.empty()) return;
  ScanResult head = dependencies_on(in, db, in.fetched.head_sha, lockfiles, work.path() / "head");
  std::set<std::string> before;
  if (in.mode == CiMode::added_lines) {
    ScanResult base = dependencies_on(in, db, in.fetched.merge_base, lockfiles, work.path() / "base");
    for (const auto& f : base.findings) before.insert(f.fingerprint);
  }
  for (auto& f : head.findings)
    if (!before.count(f.fingerprint)) out.findings.push_back(std::move(f));
  for (auto& w : head.warnings) out.warnings.push_back(std::move(w));
}

/// The monorepo folders as ScanInput::folders ("services/api"; "" for the root); empty when none.
std::vector<std::string> scan_folders(const config::FoldersConfig& folders) {
  std::vector<std::string> out;
  for (const auto& f : folders.folders) {
    std::string p = f.path;
    while (!p.empty() && p.front() == '/') p.erase(0, 1);
    while (!p.empty() && p.back() == '/') p.pop_back();
    out.push_back(p);
  }
  return out;
}

/// A shard's plan for a diff scan: the changed files (by their size at the head) or their folders.
job::ShardPlan diff_shard_plan(const CiScanInput& in) {
  std::map<std::string, std::uint64_t, std::less<>> sizes;
  for (const auto& f : checkout::list_files(in.repo, in.fetched.head_sha, folder_filter(in.folders)))
    sizes[f.path] = f.size;
  std::vector<job::ShardItem> items;
  for (const auto& d : changed_files(in)) {
    auto it = sizes.find(d.new_path);
    items.push_back({d.new_path, it == sizes.end() ? 0 : it->second});
  }
  return job::ShardPlan(in.shard, items, scan_folders(in.folders));
}

/// Runs every enabled external control over `input` (a checkout on disk) into `out`.
void run_external(const CiScanInput& in, const controls::ScanInput& input, ScanResult& out) {
  controls::external::ExternalOptions options;
  options.env = &in.env;
  options.tools_dir = tools_dir(in.env);
  for (const auto& spec : in.cfg.tools) {
    if (!spec.enabled) continue;
    controls::external::ExternalControl control(spec, options);
    control.run(input, out);
  }
}

bool any_external(const CiScanInput& in) {
  return std::any_of(in.cfg.tools.begin(), in.cfg.tools.end(), [](const config::ToolSpec& t) { return t.enabled; });
}

/// External controls for a merge request or branch push: the tools run on a checkout of the head's
/// configured folders (they need the surrounding code), told the changed files (${FILES} and the
/// language check see only those, ${CHANGED_FILES} lists them); only what they report on the
/// added lines (or, for `scope: files`, in the changed files) is kept.
void external_on_changes(const CiScanInput& in, ScanResult& out) {
  if (!any_external(in)) return;
  std::vector<checkout::FileDiff> changes;
  for (auto& d : shard_changes(in))
    if (!d.binary && !excluded(in, d.new_path)) changes.push_back(std::move(d));
  if (changes.empty()) return;
  util::TempDir work = scratch_dir(in.env);
  const fs::path tree = work.path() / "tree";
  fs::create_directories(tree);
  std::vector<std::string> folders;
  for (const auto& f : in.folders.folders) folders.push_back(f.path);
  checkout::checkout_folders(in.fetched.git_dir, in.fetched.head_sha, tree, folders);

  controls::ScanInput input;
  input.root = tree;
  input.commit_sha = in.fetched.head_sha;
  input.max_file_size = kMaxFileSize;
  input.jobs = std::max(1u, std::thread::hardware_concurrency());
  std::string list;
  std::set<std::string> changed_folders;
  for (const auto& d : changes) {
    std::error_code ec;
    const fs::path abs = tree / d.new_path;
    if (!fs::is_regular_file(fs::symlink_status(abs, ec))) continue;
    input.files.push_back(controls::FileEntry{d.new_path, abs, static_cast<std::uint64_t>(fs::file_size(abs, ec))});
    list += d.new_path + "\n";
    if (const config::Folder* f = config::folder_for(in.folders, d.new_path)) {
      std::string p = f->path;
      while (!p.empty() && p.front() == '/') p.erase(0, 1);
      changed_folders.insert(p);
    }
  }
  if (input.files.empty()) return;
  std::sort(input.files.begin(), input.files.end(), [](const auto& a, const auto& b) { return a.path < b.path; });
  input.folders.assign(changed_folders.begin(), changed_folders.end());
  input.changed_files = work.path() / "changed-files.txt";
  util::write_file_atomic(input.changed_files, list);

  ScanResult tools;
  run_external(in, input, tools);
  std::map<std::string, std::set<int>> added;
  if (in.mode == CiMode::added_lines)
    for (const auto& [path, file] : ci_diff_index(in)) added[path].insert(file.added.begin(), file.added.end());
  std::set<std::string> changed_paths;
  for (const auto& e : input.files) changed_paths.insert(e.path);
  std::size_t outside = 0;
  for (auto& f : tools.findings) {
    bool keep = in.mode == CiMode::added_lines
                    ? (added.count(f.path) && f.line > 0 && added[f.path].count(f.line))
                    : changed_paths.count(f.path) > 0;
    if (!keep) { ++outside; continue; }
    f.commit = in.fetched.head_sha;
    out.findings.push_back(std::move(f));
  }
  if (outside)
    spdlog::info("external controls: {} finding{} on lines this change does not add left out", outside,
                 outside == 1 ? "" : "s");
  for (auto& c : tools.controls) out.controls.push_back(std::move(c));
  for (auto& e : tools.errored_controls) out.errored_controls.push_back(std::move(e));
  for (auto& e : tools.skipped_controls) out.skipped_controls.push_back(std::move(e));
  for (auto& w : tools.warnings) out.warnings.push_back(std::move(w));
}

/// The secrets control over the checked-out files, except those whose blob an earlier pipeline
/// found clean with the same rules (the verdict cache): a re-scan of a large tree after a small
/// change reads only the changed files. Clean files are recorded for the next pipeline.
void secrets_full_tree(const CiScanInput& in, const controls::ScanInput& input, ScanResult& out) {
  auto engine = make_engine(in);
  secrets::VerdictCache cache;
  if (const fs::path dir = verdict_cache_dir(in.env); !dir.empty())
    cache = secrets::VerdictCache::open(dir, engine.rules_hash(), out.warnings);
  std::map<std::string, git_oid> blob_of;
  if (cache.enabled())
    for (const auto& f : checkout::list_files(in.repo, in.fetched.head_sha, folder_filter(in.folders))) blob_of.emplace(f.path, f.blob);
  constexpr std::size_t kOid = sizeof(git_oid::id);
  controls::ScanInput todo = input;
  todo.files.clear();
  for (const auto& f : input.files) {
    auto it = blob_of.find(f.path);
    if (it != blob_of.end() && cache.contains(it->second.id, kOid, engine.path_key(f.path))) out.stats.blobs_cached++;
    else todo.files.push_back(f);
  }
  const std::size_t before = out.findings.size();
  secrets::SecretsControl control(std::move(engine));
  control.run(todo, out);
  // The verdict cache speaks for the rules only: files it answered are still read for the job's
  // CI/CD variable values (a literal search, far cheaper than the rules).
  if (control.engine().exact_values() && out.stats.blobs_cached) {
    auto scratch = control.engine().make_scratch();
    std::set<std::string> scanned;
    for (const auto& f : todo.files) scanned.insert(f.path);
    for (const auto& f : input.files) {
      if (scanned.count(f.path) || f.size > input.max_file_size) continue;
      std::string content;
      try {
        content = util::read_file(f.abs);
      } catch (const util::Error&) {
        continue;  // the rules' pass already warned about unreadable files of its own
      }
      if (secrets::looks_binary(content)) continue;
      std::vector<Finding> found;
      control.engine().scan_values(content, f.path, *scratch, found);
      for (auto& v : found) {
        v.commit = input.commit_sha;
        out.findings.push_back(std::move(v));
      }
    }
  }
  if (cache.enabled()) {
    std::set<std::string> with_findings;
    for (std::size_t i = before; i < out.findings.size(); ++i) with_findings.insert(out.findings[i].path);
    for (const auto& f : todo.files) {
      auto it = blob_of.find(f.path);
      if (it != blob_of.end() && f.size <= todo.max_file_size && !with_findings.count(f.path))
        cache.add(it->second.id, kOid, control.engine().path_key(f.path));
    }
    cache.flush();
    if (out.stats.blobs_cached)
      spdlog::info("secrets: {} file{} known clean from earlier pipelines (verdict cache), {} read", out.stats.blobs_cached,
                   out.stats.blobs_cached == 1 ? "" : "s", todo.files.size());
  }
}

/// Every enabled control on a sparse checkout of the head (only the configured folders written).
void full_tree(const CiScanInput& in, const std::optional<fs::path>& db, ScanResult& out) {
  util::TempDir work = scratch_dir(in.env);
  std::vector<std::string> folders;
  for (const auto& f : in.folders.folders) folders.push_back(f.path);
  checkout::checkout_folders(in.fetched.git_dir, in.fetched.head_sha, work.path(), folders);
  checkout::ListOptions list;
  list.use_git = false;
  list.excludes = in.cfg.exclude;
  auto listing = checkout::list_files(work.path(), list, out.stats, out.warnings);
  controls::ScanInput input;
  input.root = work.path();
  input.commit_sha = in.fetched.head_sha;
  input.max_file_size = kMaxFileSize;
  input.jobs = std::max(1u, std::thread::hardware_concurrency());
  for (auto& file : listing.files) {
    if (excluded(in, file.path)) out.stats.skipped_excluded++;
    else input.files.push_back(std::move(file));
  }
  input.folders = scan_folders(in.folders);
  const auto tools = job::restrict_to_shard(in.shard, input, out);  // unsharded: all of `input`
  if (in.cfg.secrets) secrets_full_tree(in, input, out);
  if (db) {
    deps::DependenciesControl control(*db, in.folders);
    control.run(input, out);
    if (in.sboms)
      for (const auto& scanned : control.lockfiles()) in.sboms->push_back(to_sbom(scanned));
    out.controls.emplace_back("dependencies");
  }
  if (tools) run_external(in, *tools, out);
  for (auto& f : out.findings)
    if (f.tool && f.commit.empty()) f.commit = in.fetched.head_sha;
}

/// "" when both sides of every blob change from `from` ("" = empty tree) to `to` that touches
/// `filter` are in `odb`; else "<path> in <commit>". Trees are compared by id: no blob is read.
std::string missing_change(git_repository* repo, git_odb* odb, const std::string& from, const std::string& to,
                           const checkout::FolderFilter& filter) {
  auto tree_of = [repo](const std::string& sha) {
    checkout::TreePtr tree;
    if (sha.empty()) return tree;
    checkout::CommitPtr commit = checkout::lookup_commit(repo, sha);
    git_tree* raw = nullptr;
    checkout::check(git_commit_tree(&raw, commit.get()), "tree of " + sha);
    tree.reset(raw);
    return tree;
  };
  checkout::TreePtr a = tree_of(from);
  checkout::TreePtr b = tree_of(to);
  git_diff_options opts = GIT_DIFF_OPTIONS_INIT;
  opts.flags = GIT_DIFF_SKIP_BINARY_CHECK;
  git_diff* raw = nullptr;
  checkout::check(git_diff_tree_to_tree(&raw, repo, a.get(), b.get(), &opts), "diff " + from + ".." + to);
  checkout::DiffPtr diff(raw);
  for (std::size_t i = 0; i < git_diff_num_deltas(diff.get()); ++i) {
    const git_diff_delta* d = git_diff_get_delta(diff.get(), i);
    const char* old_path = d->old_file.path ? d->old_file.path : "";
    const char* new_path = d->new_file.path ? d->new_file.path : "";
    if (!filter.contains(old_path) && !filter.contains(new_path)) continue;
    for (const git_diff_file* f : {&d->old_file, &d->new_file}) {
      bool blob = f->mode == GIT_FILEMODE_BLOB || f->mode == GIT_FILEMODE_BLOB_EXECUTABLE;
      if (blob && !git_oid_is_zero(&f->id) && git_odb_exists(odb, &f->id) != 1)
        return std::string(f->path ? f->path : "?") + " in " + (f == &d->old_file && !from.empty() ? from : to);
    }
  }
  return "";
}

/// The OSV database folder when dependency scanning is on and a database exists.
std::optional<fs::path> dependency_db(const CiScanInput& in) {
  if (!in.cfg.dependencies) return std::nullopt;
  fs::path dir = osv_db_dir(in.env);
  if (!fs::exists(deps::db_file(dir))) {
    // Without advisories the control cannot say anything is fixed: it does not count as run.
    spdlog::warn("dependencies: no OSV database in {} (jit-agent db update); dependency scanning skipped", dir.string());
    return std::nullopt;
  }
  return dir;
}

}  // namespace

std::string_view to_string(CiMode mode) {
  switch (mode) {
    case CiMode::added_lines: return "added lines";
    case CiMode::changed_files: return "changed files";
    case CiMode::full_tree: return "full tree";
  }
  return "full tree";
}

CiMode ci_mode_for(const event::Event& ev, const config::Config& cfg, const checkout::FetchResult& fetched) {
  if (ev.kind() == event::Kind::merge_request) {
    if (fetched.merge_base.empty()) {
      spdlog::warn("no merge base between the merge request and its target branch: scanning the full tree");
      return CiMode::full_tree;
    }
    switch (cfg.mr_scope) {
      case config::Scope::diff: return CiMode::added_lines;
      case config::Scope::files: return CiMode::changed_files;
      case config::Scope::full: return CiMode::full_tree;
    }
  }
  const auto& push = ev.push();
  if (push && !push->is_tag() && !ev.is_default_branch_push() && !fetched.merge_base.empty())
    return CiMode::added_lines;
  return CiMode::full_tree;
}

bool full_tree_before_fetch(const event::Event& ev, const config::Config& cfg, const checkout::FetchRequest& request) {
  if (ev.kind() == event::Kind::merge_request) return cfg.mr_scope == config::Scope::full;
  // Everything else is a full tree unless a branch push finds the merge base with what it replaced.
  const auto& push = ev.push();
  bool has_base = !request.base_ref.empty() || !request.base_sha.empty();
  return !(push && !push->is_tag() && !ev.is_default_branch_push() && has_base);
}

std::string missing_scan_blobs(git_repository* repo, const checkout::FetchResult& fetched, CiMode mode,
                               const config::FoldersConfig& folders) {
  git_odb* raw = nullptr;
  checkout::check(git_repository_odb(&raw, repo), "object database");
  checkout::OdbPtr odb(raw);
  const auto filter = folder_filter(folders);
  const std::string& head = fetched.head_sha;
  if (mode == CiMode::full_tree) {
    for (const auto& f : checkout::list_files(repo, head, filter))
      if (git_odb_exists(odb.get(), &f.blob) != 1) return f.path + " in " + head;
    return "";
  }
  const std::string& base = fetched.merge_base;
  if (std::string m = missing_change(repo, odb.get(), base, head, filter); !m.empty()) return m;
  for (const std::string& sha : checkout::commits_between(repo, base, head)) {
    checkout::CommitPtr c = checkout::lookup_commit(repo, sha);
    std::string parent = git_commit_parentcount(c.get()) > 0 ? checkout::to_hex(*git_commit_parent_id(c.get(), 0)) : "";
    if (std::string m = missing_change(repo, odb.get(), parent, sha, filter); !m.empty()) return m;
  }
  return "";
}

ScanResult run_ci_scan(const CiScanInput& given) {
  std::optional<job::ShardPlan> plan;
  CiScanInput in = given;
  if (in.shard.sharded() && in.mode != CiMode::full_tree) in.plan = &plan.emplace(diff_shard_plan(in));
  ScanResult out;
  out.start_time = std::chrono::system_clock::now();
  out.commit_sha = in.fetched.head_sha;
  auto db = dependency_db(in);
  if (in.mode == CiMode::full_tree) {
    full_tree(in, db, out);
  } else {
    if (in.cfg.secrets) {
      if (in.mode == CiMode::added_lines) secrets_on_added_lines(in, out);
      else secrets_in_changed_files(in, out);
      out.controls.emplace_back("secrets");
    }
    if (db) {
      dependencies_in_changes(in, *db, out);
      out.controls.emplace_back("dependencies");
    }
    external_on_changes(in, out);
  }
  findings::sort_findings(out.findings);
  out.end_time = std::chrono::system_clock::now();
  return out;
}

publish::DiffIndex ci_diff_index(const CiScanInput& in) {
  publish::DiffIndex index;
  if (in.fetched.merge_base.empty()) return index;
  for (const auto& d : changed_files(in)) {
    if (d.binary) continue;
    auto& file = index[d.new_path];
    file.old_path = d.old_path.empty() ? d.new_path : d.old_path;
    for (const auto& r : d.added)
      for (int l = r.start; l < r.start + r.count; ++l) file.added.insert(l);
  }
  return index;
}

}  // namespace agent::cli
