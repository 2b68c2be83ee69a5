#include "agent/controls/dependencies/dependencies_control.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include "agent/controls/dependencies/lockfiles.h"
#include "agent/controls/dependencies/matcher.h"
#include "agent/controls/dependencies/osv_db.h"
#include "agent/util/error.h"
#include "agent/util/hash.h"

namespace agent::controls::dependencies {
namespace {

// Lockfiles this large are not real; refuse before reading them into memory.
constexpr std::uint64_t kMaxLockfileBytes = 256ull << 20;
// Nor lockfiles of this many packages (the largest real ones list tens of thousands): each costs
// ~0.5 KiB parsed and ~2.5 KiB more in the SBOM and reports, so a hostile 17 MiB requirements.txt
// of a million pins took a CI job to 2.5 GiB.
constexpr std::size_t kMaxLockfilePackages = 250'000;

bool in_skipped_folder(std::string_view path) {
  std::size_t start = 0;
  while (true) {
    std::size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) return false;  // the last part is the file itself
    std::string_view part = path.substr(start, slash - start);
    if (part == "node_modules" || part == "vendor" || part == ".git") return true;
    start = slash + 1;
  }
}

std::string base_name(std::string_view path) {
  auto slash = path.rfind('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

std::string folder_of_file(std::string_view path) {
  auto slash = path.rfind('/');
  return slash == std::string_view::npos ? "/" : "/" + std::string(path.substr(0, slash));
}

struct ParseJob {
  const FileEntry* file = nullptr;
  std::string folder;
  std::optional<ParsedLockfile> parsed;
  std::string error;  // one warning line when it could not be read or parsed
};

void parse_one(ParseJob& job, const IncludeReader& reader) {
  const FileEntry& f = *job.file;
  try {
    std::error_code ec;
    auto size = std::filesystem::file_size(f.abs, ec);
    if (!ec && size > kMaxLockfileBytes) {
      job.error = f.path + ": lockfile skipped: larger than 256 MiB";
      return;
    }
    std::ifstream in(f.abs, std::ios::binary);
    if (!in) {
      job.error = f.path + ": lockfile skipped: cannot be read";
      return;
    }
    std::ostringstream buf;
    buf << in.rdbuf();
    ParseOptions options;
    options.read_include = reader;
    job.parsed = parse_lockfile(f.path, std::move(buf).str(), options);
    if (job.parsed->packages.size() > kMaxLockfilePackages) {
      job.error = f.path + ": lockfile skipped: more than " + std::to_string(kMaxLockfilePackages) + " packages";
      job.parsed.reset();
    }
  } catch (const util::Error& e) {
    job.error = std::string(e.what()) + " (lockfile skipped)";
  } catch (const std::exception& e) {
    job.error = f.path + ": lockfile skipped: " + e.what();
  }
}

std::string describe(const Package& p, const Vulnerability& v) {
  std::string d = p.name + " " + p.version + " (" + p.ecosystem + ") is affected by " + v.id;
  if (!v.aliases.empty()) {
    d += " (";
    for (std::size_t i = 0; i < v.aliases.size(); ++i) d += (i ? ", " : "") + v.aliases[i];
    d += ")";
  }
  if (!v.summary.empty()) d += ": " + v.summary;
  if (d.back() != '.') d += '.';
  d += v.fixed_version.empty() ? " No fix yet." : " Upgrade to " + v.fixed_version + ".";
  return d;
}

}  // namespace

std::string dependency_fingerprint(std::string_view ecosystem, std::string_view package, std::string_view version,
                                   std::string_view advisory_id, std::string_view lockfile) {
  std::string key;
  for (std::string_view part : {ecosystem, package, version, advisory_id, lockfile}) {
    key += part;
    key += '\0';  // no concatenation of two fields can collide with another split
  }
  return util::sha256_hex(key);
}

std::vector<std::pair<const FileEntry*, std::string>> select_lockfiles(const std::vector<FileEntry>& files,
                                                                      const config::FoldersConfig& folders) {
  // npm's rule: where npm-shrinkwrap.json exists, npm ignores package-lock.json beside it.
  std::set<std::string> shrinkwrapped;
  for (const FileEntry& f : files)
    if (base_name(f.path) == "npm-shrinkwrap.json") shrinkwrapped.insert(folder_of_file(f.path));
  std::vector<std::pair<const FileEntry*, std::string>> out;
  for (const FileEntry& f : files) {
    if (!is_lockfile_name(base_name(f.path)) || in_skipped_folder(f.path)) continue;
    if (base_name(f.path) == "package-lock.json" && shrinkwrapped.count(folder_of_file(f.path))) continue;
    if (!folders.configured()) {
      out.emplace_back(&f, folder_of_file(f.path));
      continue;
    }
    const config::Folder* folder = config::folder_for(folders, f.path);
    if (!folder || config::excluded_in(*folder, f.path)) continue;
    out.emplace_back(&f, folder->path);
  }
  return out;
}

DependenciesControl::DependenciesControl(std::filesystem::path db_dir, config::FoldersConfig folders)
    : db_dir_(std::move(db_dir)), folders_(std::move(folders)) {}

void DependenciesControl::run(const ScanInput& input, findings::ScanResult& out) {
  lockfiles_.clear();
  std::vector<ParseJob> jobs;
  for (auto& [file, folder] : select_lockfiles(input.files, folders_)) {
    ParseJob job;
    job.file = file;
    job.folder = folder;
    jobs.push_back(std::move(job));
  }
  IncludeReader reader = include_reader_within(input.root);
  std::atomic<std::size_t> next{0};
  auto worker = [&] {
    for (std::size_t i = next++; i < jobs.size(); i = next++) parse_one(jobs[i], reader);
  };
  unsigned threads = std::clamp<unsigned>(input.jobs, 1, static_cast<unsigned>(std::max<std::size_t>(jobs.size(), 1)));
  std::vector<std::jthread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  pool.clear();  // joins

  for (ParseJob& job : jobs) {
    if (!job.error.empty()) {
      out.warnings.push_back(job.error);
      continue;
    }
    for (auto& w : job.parsed->warnings) out.warnings.push_back(w);
    lockfiles_.push_back({std::move(*job.parsed), job.folder});
  }

  auto db = OsvDatabase::open(db_dir_);
  if (!db) {
    out.warnings.push_back("no OSV database at " + db_dir_.string() +
                           ": run `jit-agent db import` or `jit-agent db update`");
    return;
  }
  Matcher matcher(*db);
  std::size_t found = 0, packages = 0;
  for (const ScannedLockfile& lf : lockfiles_) {
    for (const Package& p : lf.parsed.packages) {
      ++packages;
      if (!matchable(p)) continue;  // git, path or URL sources, unpinned requirements: inventory only
      std::vector<Vulnerability> vulns = matcher.match(p);
      const PackageFix fix = matcher.best_fix(p, vulns);
      for (Vulnerability& v : vulns) {
        findings::Finding f;
        f.control = "dependencies";
        f.rule_id = v.id;
        f.rule_name = v.summary.empty() ? v.id : v.summary;
        f.description = describe(p, v);
        f.severity = v.severity;
        f.path = p.declared_in.empty() ? lf.parsed.path : p.declared_in;
        f.line = p.line;
        f.fingerprint = dependency_fingerprint(p.ecosystem, p.name, p.version, v.id, lf.parsed.path);
        f.commit = input.commit_sha;
        f.references = v.references;
        f.cwes = v.cwes;
        findings::DependencyDetail d;
        d.package = p.name;
        d.version = p.version;
        d.ecosystem = p.ecosystem;
        d.advisory_id = v.id;
        d.aliases = std::move(v.aliases);
        d.summary = std::move(v.summary);
        d.cvss_score = v.cvss_score;
        d.cvss_vector = std::move(v.cvss_vector);
        d.fixed_version = std::move(v.fixed_version);
        d.severity_source = std::move(v.severity_source);
        d.severity_record = std::move(v.severity_record);
        d.fix_version = fix.version;
        d.fix_resolves = fix.resolves;
        d.direct = p.direct;
        d.direct_known = p.direct_known;
        d.lockfile = lf.parsed.path;
        d.folder = lf.folder;
        f.dependency = std::move(d);
        out.findings.push_back(std::move(f));
        ++found;
      }
    }
  }
  spdlog::debug("dependencies: {} lockfiles, {} packages, {} findings", lockfiles_.size(), packages, found);
}

}  // namespace agent::controls::dependencies
