#include "agent/job/settings.h"

#include <algorithm>

#include "agent/findings/finding.h"
#include "agent/util/error.h"

namespace agent::job {
namespace fs = std::filesystem;

CentralSettings load_central_settings(const std::string& config_flag, const std::string& min_confidence,
                                      const util::Environment& env) {
  CentralSettings out;
  if (!config_flag.empty()) out.file = config_flag;
  else if (auto dir = env.get_or("CI_PROJECT_DIR", ""); !dir.empty() && fs::exists(fs::path(dir) / "jit.yml"))
    out.file = fs::path(dir) / "jit.yml";
  out.cfg = config::load_config(out.file, std::nullopt);
  // ignores.yml beside jit.yml in the dedicated project ($JIT_IGNORES_FILE names another); validated
  // before anything is fetched or posted, like jit.yml.
  fs::path dir = out.file ? out.file->parent_path() : fs::path(env.get_or("CI_PROJECT_DIR", "."));
  if (dir.empty()) dir = ".";
  const fs::path file = dir / env.get_or("JIT_IGNORES_FILE", "ignores.yml");
  if (fs::exists(file)) out.ignores = config::load_ignores(file);
  else if (!env.get_or("JIT_IGNORES_FILE", "").empty())
    throw util::UsageError(file.string() + ": no such ignores file (JIT_IGNORES_FILE)");
  // Teams moving from OSV-Scanner keep their osv-scanner.toml beside jit.yml: its ignores apply too.
  if (const fs::path osv = dir / "osv-scanner.toml"; osv != file && fs::exists(osv)) {
    config::Ignores more = config::load_ignores(osv);
    if (out.ignores.file.empty()) out.ignores.file = more.file;
    for (auto& e : more.entries) out.ignores.entries.push_back(std::move(e));
  }
  // OpenVEX documents beside jit.yml: vex.json and every vex/*.json, in name order.
  if (fs::exists(dir / "vex.json")) out.vex.push_back(config::load_vex(dir / "vex.json"));
  if (std::error_code ec; fs::is_directory(dir / "vex", ec)) {
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(dir / "vex", ec))
      if (e.path().extension() == ".json") files.push_back(e.path());
    std::sort(files.begin(), files.end());
    for (const auto& f : files) out.vex.push_back(config::load_vex(f));
  }
  if (!min_confidence.empty()) {
    auto c = findings::parse_confidence(min_confidence);
    if (!c) throw util::UsageError("--min-confidence " + min_confidence + ": expected high, medium or low");
    out.cfg.min_confidence = *c;
  }
  return out;
}

}  // namespace agent::job
