// renv.lock (R): JSON, Packages: name -> {Package, Version, Source, Repository, ...}. Packages
// installed from a CRAN-like repository ("Source": "Repository", Repository CRAN or Posit's
// mirrors RSPM/PPM/P3M) are CRAN's; "Source": "Bioconductor" ones Bioconductor's. GitHub, GitLab,
// URL, local and other repositories' packages are not what OSV's records name: listed in one
// warning. renv does not record which packages the project loads itself.
#include <vector>

#include "agent/controls/dependencies/json_lines.h"
#include "agent/controls/dependencies/parsers.h"

namespace agent::controls::dependencies::detail {
namespace {

bool is_cran_repository(const std::string* repository) {
  if (!repository || repository->empty()) return true;  // older lockfiles leave it out
  for (const char* name : {"CRAN", "RSPM", "PPM", "P3M"}) {
    if (*repository == name) return true;
  }
  std::string_view r = *repository;
  return r.find("cran.r-project.org") != std::string_view::npos ||
         r.find("cloud.r-project.org") != std::string_view::npos ||
         r.find("packagemanager.posit.co") != std::string_view::npos ||
         r.find("packagemanager.rstudio.com") != std::string_view::npos;
}

}  // namespace

ParsedLockfile parse_renv(const std::string& path, std::string_view content) {
  ParsedLockfile out;
  out.format = "renv.lock";
  JsonKeep keep = [](std::size_t depth, std::string_view key) {
    if (depth == 1) return key == "Packages" || key == "R";
    if (depth == 3) return key == "Package" || key == "Version" || key == "Source" || key == "Repository";
    return true;
  };
  JsonDoc doc = parse_json(path, content, keep);
  json_expect_object(path, 1, doc.root, "a renv.lock");
  const Json* packages = json_object(path, 1, doc.root, "Packages", "the lockfile");
  if (!packages) {
    if (!doc.root.contains("R")) fail(path, 1, 1, "not a renv.lock: no 'Packages' object");
    return out;
  }
  std::vector<std::string> skipped;
  for (const auto& [key, entry] : packages->items()) {
    int line = doc.line_of(entry) ? doc.line_of(entry) : doc.line_of(*packages);
    std::string what = "package '" + key + "'";
    json_expect_object(path, line, entry, what);
    const std::string* name = json_string(path, line, entry, "Package", what);
    const std::string* version = json_string(path, line, entry, "Version", what);
    const std::string* source = json_string(path, line, entry, "Source", what);
    const std::string* repository = json_string(path, line, entry, "Repository", what);
    if (!version || version->empty()) {
      warn(out, path, line, what + " without a Version is skipped");
      continue;
    }
    const char* ecosystem = nullptr;
    if (source && *source == "Bioconductor") ecosystem = "Bioconductor";
    else if ((!source || *source == "Repository") && is_cran_repository(repository)) ecosystem = "CRAN";
    if (!ecosystem) {
      skipped.push_back(key + " (" + (source ? *source : "?") +
                        (repository && !repository->empty() ? " " + *repository : "") + ")");
      continue;
    }
    out.packages.push_back(make_package(name && !name->empty() ? *name : key, *version, ecosystem, line));
  }
  if (!skipped.empty()) {
    std::string names;
    for (std::size_t i = 0; i < skipped.size() && i < 5; ++i) names += (i ? ", " : "") + skipped[i];
    if (skipped.size() > 5) names += ", ...";
    warn(out, path, 0,
         std::to_string(skipped.size()) +
             " package(s) from GitHub, a URL, a local folder or a repository other than CRAN and "
             "Bioconductor, not checked: " + names);
  }
  return out;
}

}  // namespace agent::controls::dependencies::detail
