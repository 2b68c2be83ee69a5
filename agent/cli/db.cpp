// `jit-agent db import|update|status`: the offline OSV database the dependencies control reads.
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <iomanip>
#include <iostream>
#include <memory>
#include <set>
#include <sstream>
#include <unistd.h>
#include <algorithm>
#include <map>

#include "agent/cli/commands.h"
#include "agent/cli/settings.h"
#include "agent/controls/dependencies/osv_db.h"
#include "agent/controls/dependencies/osv_download.h"
#include "agent/controls/dependencies/osv_import.h"
#include "agent/util/error.h"

namespace agent::cli {
namespace {
namespace deps = controls::dependencies;
namespace fs = std::filesystem;

constexpr const char* kDefaultBaseUrl = "https://osv-vulnerabilities.storage.googleapis.com";
// What `db update` fetches into an empty database: the ecosystems our lockfile parsers read.
const std::vector<std::string> kDefaultEcosystems = {"npm",      "PyPI",  "Go",          "crates.io", "RubyGems",
                                                     "Packagist", "Maven", "NuGet",       "Pub",       "Hex",
                                                     "ConanCenter", "SwiftURL", "CRAN", "Bioconductor"};
constexpr std::size_t kWarningsShown = 20;

struct DbOptions {
  std::string db_dir;
  std::vector<std::string> paths;
  std::vector<std::string> ecosystems;
  std::string base_url;
};

fs::path db_dir(const DbOptions& o, const GlobalOptions& g) {
  return o.db_dir.empty() ? osv_db_dir(g.env) : fs::path(o.db_dir);
}

std::int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string age(std::int64_t then) {
  if (then <= 0) return "never";
  std::int64_t s = std::max<std::int64_t>(0, now_seconds() - then);
  if (s < 120) return std::to_string(s) + " s ago";
  if (s < 7200) return std::to_string(s / 60) + " min ago";
  if (s < 2 * 86400) return std::to_string(s / 3600) + " h ago";
  return std::to_string(s / 86400) + " days ago";
}

std::string mib(std::uint64_t bytes) {
  std::ostringstream o;
  o << std::fixed << std::setprecision(1) << static_cast<double>(bytes) / (1024.0 * 1024.0) << " MiB";
  return o.str();
}

void report_warnings(const std::vector<std::string>& warnings, const GlobalOptions& g) {
  std::size_t limit = g.verbosity > 0 ? warnings.size() : kWarningsShown;
  for (std::size_t i = 0; i < warnings.size() && i < limit; ++i) spdlog::warn("{}", warnings[i]);
  if (warnings.size() > limit) {
    spdlog::warn("... and {} more warnings (-v shows them all)", warnings.size() - limit);
  }
}

int run_import(const DbOptions& o, const GlobalOptions& g) {
  fs::path dir = db_dir(o, g);
  auto start = std::chrono::steady_clock::now();
  deps::OsvDbWriter writer(dir);
  deps::ImportStats stats;
  for (const auto& p : o.paths) deps::import_path(writer, p, "import", stats);
  writer.commit();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  report_warnings(stats.warnings, g);
  std::cout << "imported " << stats.records << " records from " << stats.files << " files into "
            << deps::db_file(dir).string() << " (" << stats.skipped << " skipped, "
            << stats.warnings.size() << " warnings) in " << std::fixed << std::setprecision(2) << secs
            << " s\n";
  return 0;
}

std::vector<std::string> ecosystems_to_update(const DbOptions& o, const fs::path& dir) {
  if (!o.ecosystems.empty()) return o.ecosystems;
  std::set<std::string> present;
  if (auto db = deps::OsvDatabase::open(dir)) {
    auto st = db->status();
    for (const auto& s : st.sources) present.insert(s.ecosystem);
    for (const auto& [eco, n] : st.advisories_per_ecosystem) {
      if (std::find(kDefaultEcosystems.begin(), kDefaultEcosystems.end(), eco) != kDefaultEcosystems.end()) {
        present.insert(eco);
      }
    }
  }
  if (present.empty()) return kDefaultEcosystems;
  return {present.begin(), present.end()};
}

int run_update(const DbOptions& o, const GlobalOptions& g) {
  fs::path dir = db_dir(o, g);
  std::string base = !o.base_url.empty() ? o.base_url : g.env.get_or("JIT_OSV_BASE_URL", kDefaultBaseUrl);
  std::vector<std::string> ecosystems = ecosystems_to_update(o, dir);
  std::map<std::string, deps::SourceInfo> previous;
  if (auto db = deps::OsvDatabase::open(dir)) {
    for (const auto& eco : ecosystems) {
      if (auto s = db->source(eco)) previous[eco] = *s;
    }
  }
  deps::OsvDbWriter writer(dir);
  int failures = 0, successes = 0;
  for (const auto& eco : ecosystems) {
    deps::SourceInfo src = previous.count(eco) ? previous[eco] : deps::SourceInfo{eco, "", "", "", 0, 0};
    std::string url = deps::export_url(base, eco);
    // Send the validators only when the stored ones describe this very URL.
    bool same_url = src.url == url;
    fs::path zip = dir / ("download-" + std::to_string(::getpid()) + ".zip");
    try {
      auto r = deps::download_if_changed(url, zip, same_url ? src.etag : "", same_url ? src.last_modified : "");
      src.url = url;
      src.updated_at = now_seconds();
      if (r.not_modified) {
        std::cout << eco << ": not modified since the last update\n";
      } else {
        deps::ImportStats stats;
        writer.remove_origin(eco);
        deps::import_zip(writer, zip, eco, stats);
        report_warnings(stats.warnings, g);
        src.etag = r.etag;
        src.last_modified = r.last_modified;
        src.records = static_cast<std::int64_t>(stats.records);
        std::cout << eco << ": " << stats.records << " records (" << stats.skipped << " skipped) from "
                  << mib(r.bytes) << "\n";
      }
      writer.set_source(src);
      ++successes;
    } catch (const util::RuntimeError& e) {
      ++failures;
      spdlog::error("{}: {}", eco, e.what());
    }
    std::error_code ec;
    fs::remove(zip, ec);
  }
  if (successes == 0) return static_cast<int>(util::ExitCode::runtime);  // keep what was there
  writer.commit();
  std::cout << "OSV database: " << deps::db_file(dir).string() << "\n";
  return failures ? static_cast<int>(util::ExitCode::runtime) : 0;
}

int run_status(const DbOptions& o, const GlobalOptions& g) {
  fs::path dir = db_dir(o, g);
  auto db = deps::OsvDatabase::open(dir);
  if (!db) {
    throw util::RuntimeError("no OSV database at " + dir.string() +
                             ": run `jit-agent db import` or `jit-agent db update`");
  }
  deps::DbStatus st = db->status();
  std::cout << "OSV database: " << deps::db_file(dir).string() << " (" << mib(st.file_size) << ", built "
            << age(st.built_at) << ")\n"
            << "advisories: " << st.advisories << " (" << st.withdrawn << " withdrawn)\n";
  std::map<std::string, const deps::SourceInfo*> sources;
  for (const auto& s : st.sources) sources[s.ecosystem] = &s;
  std::cout << std::left << std::setw(14) << "ecosystem" << std::setw(12) << "advisories"
            << "source\n";
  for (const auto& [eco, n] : st.advisories_per_ecosystem) {
    std::cout << std::left << std::setw(14) << eco << std::setw(12) << n;
    if (auto it = sources.find(eco); it != sources.end()) {
      std::cout << "update, checked " << age(it->second->updated_at);
    } else {
      std::cout << "import";
    }
    std::cout << '\n';
  }
  return 0;
}

}  // namespace

void add_db(CLI::App& root, const GlobalOptions& global, Action& action) {
  auto* sub = root.add_subcommand("db", "Manage the offline OSV vulnerability database");
  sub->require_subcommand(1);
  auto opts = std::make_shared<DbOptions>();
  sub->add_option("--db", opts->db_dir,
                  "Database folder (default: $JIT_DB_DIR, else $XDG_CACHE_HOME/jit-agent/osv or "
                  "~/.cache/jit-agent/osv)");

  auto* imp = sub->add_subcommand("import", "Import OSV records: JSON files, folders of them, or all.zip exports");
  imp->add_option("paths", opts->paths, "OSV JSON files, folders, or .zip exports")->required();
  imp->callback([&action, &global, opts] { action = [&global, opts] { return run_import(*opts, global); }; });

  auto* upd = sub->add_subcommand(
      "update",
      "Download <base-url>/<ecosystem>/all.zip for each ecosystem (only when changed: ETag / "
      "If-Modified-Since) and replace the database atomically");
  upd->add_option("--ecosystem", opts->ecosystems,
                  "Ecosystem to fetch (repeatable; default: those in the database, else npm, PyPI, Go, "
                  "crates.io, RubyGems, Packagist, Maven, NuGet)");
  upd->add_option("--base-url", opts->base_url,
                  std::string("Where the exports live (default: $JIT_OSV_BASE_URL, else ") + kDefaultBaseUrl + ")");
  upd->callback([&action, &global, opts] { action = [&global, opts] { return run_update(*opts, global); }; });

  auto* st = sub->add_subcommand("status", "Print the ecosystems, advisory counts and age of the database");
  st->callback([&action, &global, opts] { action = [&global, opts] { return run_status(*opts, global); }; });
}

}  // namespace agent::cli
