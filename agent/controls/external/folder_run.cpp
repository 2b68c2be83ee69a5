#include "agent/controls/external/folder_run.h"

#include <stdlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>

#include <spdlog/spdlog.h>

#include "agent/controls/external/convert.h"
#include "agent/controls/external/parsers.h"
#include "agent/controls/external/process_runner.h"
#include "agent/controls/external/variables.h"
#include "agent/util/fs.h"

namespace agent::controls::external {
namespace {

namespace fs = std::filesystem;

std::string format_duration(std::chrono::seconds d) {
  auto s = d.count();
  if (s < 60) return std::to_string(s) + "s";
  if (s < 3600) return std::to_string(s / 60) + "m" + std::to_string(s % 60) + "s";
  return std::to_string(s / 3600) + "h" + std::to_string(s % 3600 / 60) + "m" + std::to_string(s % 60) + "s";
}

bool contains(const std::vector<int>& codes, int code) {
  return std::find(codes.begin(), codes.end(), code) != codes.end();
}

class FolderRun {
 public:
  FolderRun(const config::ToolSpec& spec, const ExternalOptions& options, const ScanInput& input,
            const fs::path& executable, const util::Redactor& redactor)
      : spec_(spec), options_(options), input_(input), executable_(executable), redactor_(redactor) {}

  FolderOutcome run(const std::string& folder, const std::vector<const FileEntry*>& files) {
    FolderOutcome result;
    try {
      run_tool(folder, files, result);
    } catch (const std::exception& e) {
      result.error = e.what();
    }
    if (result.error) result.error = one_line(*result.error);
    return result;
  }

 private:
  std::string one_line(std::string_view text) const {
    std::string safe = terminal_safe(redactor_.apply(util::global_redactor().apply(text)));
    std::string out;
    for (char c : safe) {
      if (c == '\n') {
        if (!out.empty() && out.back() != ' ') out += " | ";
        continue;
      }
      out.push_back(c == '\t' ? ' ' : c);
    }
    while (!out.empty() && (out.back() == ' ' || out.back() == '|')) out.pop_back();
    return out;
  }

  std::string stderr_tail(const std::string& err) const {
    constexpr std::size_t max = 600;
    std::string tail = err.size() > max ? err.substr(err.size() - max) : err;
    while (!tail.empty() && (static_cast<unsigned char>(tail.front()) & 0xC0) == 0x80) tail.erase(0, 1);
    tail = one_line(tail);
    return tail.empty() ? "" : "; stderr: " + tail;
  }

  // One run of the tool; its report parsed into `parsed`, or the reason it errored.
  std::optional<std::string> run_once(const RunRequest& request, const std::string& report_file, ParsedReport& parsed) {
    RunOutcome run = run_process(request);
    if (!run.launch_error.empty()) {
      return "could not start " + executable_.string() + ": " + run.launch_error;
    }
    if (run.timed_out) {
      return "timed out after " + format_duration(spec_.timeout) + " (process group ended)" + stderr_tail(run.err);
    }
    if (run.stdout_too_large) {
      return "its report on standard output is larger than " + std::to_string(options_.max_report_bytes) +
             " bytes: refused (the tool was stopped)";
    }
    if (!run.exited) {
      return "was killed by " + signal_name(run.signal) + stderr_tail(run.err);
    }
    const bool ok = contains(spec_.exit_codes.ok, run.exit_code);
    const bool found = contains(spec_.exit_codes.findings, run.exit_code);
    if (!ok && !found) {
      return "exited with code " + std::to_string(run.exit_code) +
             (contains(spec_.exit_codes.error, run.exit_code) ? " (an error, per its exit_codes)"
                                                              : " (not in its exit_codes)") +
             stderr_tail(run.err);
    }
    std::string report;
    if (request.stdout_is_report) {
      report = std::move(run.out);
    } else {
      const fs::path file = report_file;
      std::error_code ec;
      if (!fs::exists(file, ec)) {
        return "exited with code " + std::to_string(run.exit_code) + " but wrote no report" + stderr_tail(run.err);
      }
      const auto size = fs::file_size(file, ec);
      if (ec) {
        return "cannot read its report: " + ec.message();
      }
      if (size > options_.max_report_bytes) {
        return "its report is " + std::to_string(size) + " bytes, larger than the limit of " +
               std::to_string(options_.max_report_bytes) + ": refused unread";
      }
      std::ifstream in(file, std::ios::binary);
      report.resize(size);
      in.read(report.data(), static_cast<std::streamsize>(size));
      report.resize(static_cast<std::size_t>(in.gcount()));
    }
    if (report.find_first_not_of(" \t\r\n") == std::string::npos) {
      return "exited with code " + std::to_string(run.exit_code) + " but wrote an empty report" + stderr_tail(run.err);
    }
    try {
      parsed = parse_report(spec_.format, report);
    } catch (const ReportError& e) {
      return std::string("wrote a report that is not valid ") + e.what();
    }
    return std::nullopt;
  }

  void run_tool(const std::string& folder, const std::vector<const FileEntry*>& files, FolderOutcome& result) {
    std::error_code ec;
    const fs::path root = fs::absolute(input_.root, ec).lexically_normal();
    std::string tmp = env_value(options_, "TMPDIR");
    util::TempDir temp(tmp.empty() ? fs::temp_directory_path() : fs::path(tmp), "jit-" + spec_.name + "-");
    Variables vars;
    vars.work_dir = root.string();
    vars.folder = folder.empty() ? root.string() : (root / folder).lexically_normal().string();
    while (vars.folder.size() > 1 && vars.folder.back() == '/') vars.folder.pop_back();
    vars.report_file = (temp.path() / (spec_.format == "sarif" ? "report.sarif" : "report.json")).string();
    vars.changed_files = input_.changed_files.empty() ? "" : fs::absolute(input_.changed_files, ec).string();
    vars.tools_dir = options_.tools_dir.string();
    std::vector<std::string> file_args;
    file_args.reserve(files.size());
    for (const auto* f : files) file_args.push_back(f->abs.string());

    RunRequest request;
    request.executable = executable_;
    request.cwd = root;
    request.env = child_env(spec_, options_);
    request.timeout = spec_.timeout;
    request.stdout_is_report = spec_.output == "stdout";
    request.max_report_bytes = options_.max_report_bytes;
    request.max_capture_bytes = options_.max_capture_bytes;
    ParsedReport parsed;
    // ${FILES} of a large folder could pass the kernel's argv limit: run in batches then.
    const bool takes_files = std::find(spec_.args.begin(), spec_.args.end(), "${FILES}") != spec_.args.end();
    for (const auto& batch : file_batches(file_args, takes_files)) {
      request.args = expand_args(spec_, vars, batch);
      fs::remove(vars.report_file, ec);
      spdlog::debug("{}: running in {} ({} files)", spec_.name, folder.empty() ? "." : folder, batch.size());
      ParsedReport part;
      if (auto error = run_once(request, vars.report_file, part)) {
        result.error = std::move(error);
        return;
      }
      for (auto& f : part.findings) parsed.findings.push_back(std::move(f));
      for (auto& w : part.warnings) parsed.warnings.push_back(std::move(w));
    }
    std::string where = folder.empty() ? "" : " (in " + folder + ")";
    for (const auto& w : parsed.warnings) result.warnings.push_back(spec_.name + ": " + one_line(w));
    ConvertContext context;
    context.root = root;
    context.control = spec_.name;
    context.severity = spec_.severity;
    context.max_file_size = input_.max_file_size;
    context.commit = input_.commit_sha;
    Converted converted = convert(std::move(parsed.findings), context);
    if (converted.dropped > 0)
      result.warnings.push_back(spec_.name + ": dropped " + std::to_string(converted.dropped) +
                                (converted.dropped == 1 ? " finding" : " findings") +
                                " whose path is outside the checkout (or missing)" + where);
    result.findings = std::move(converted.findings);
  }

  const config::ToolSpec& spec_;
  const ExternalOptions& options_;
  const ScanInput& input_;
  const fs::path& executable_;
  const util::Redactor& redactor_;
};

}  // namespace

std::string env_value(const ExternalOptions& options, std::string_view name) {
  if (!options.env) return "";
  return options.env->get(name).value_or("");
}

// The child's whole environment: the basics and the spec's allowlist, nothing else (our tokens
// reach a tool only when its spec names them).
std::vector<std::string> child_env(const config::ToolSpec& spec, const ExternalOptions& options) {
  std::vector<std::string> names = {"PATH", "HOME", "LANG", "LC_ALL", "TMPDIR"};
  names.insert(names.end(), spec.env.begin(), spec.env.end());
  std::vector<std::string> out;
  std::vector<std::string> seen;
  for (const auto& name : names) {
    if (name.empty() || name.find('=') != std::string::npos) continue;
    if (std::find(seen.begin(), seen.end(), name) != seen.end()) continue;
    seen.push_back(name);
    auto value = options.env ? options.env->get(name) : std::nullopt;
    if (name == "PATH" && (!value || value->empty())) value = std::string(default_tool_path);
    if (value) out.push_back(name + "=" + *value);
  }
  return out;
}

std::vector<std::vector<std::string>> file_batches(const std::vector<std::string>& files, bool takes_files,
                                                  std::size_t max_bytes) {
  std::vector<std::vector<std::string>> out(1);
  if (!takes_files) return out;
  std::size_t bytes = 0;
  for (const auto& f : files) {
    if (bytes + f.size() + 1 > max_bytes && !out.back().empty()) {
      out.emplace_back();
      bytes = 0;
    }
    out.back().push_back(f);
    bytes += f.size() + 1;
  }
  return out;
}

FolderOutcome run_folder(const config::ToolSpec& spec, const ExternalOptions& options, const ScanInput& input,
                         const fs::path& executable, const util::Redactor& redactor, const std::string& folder,
                         const std::vector<const FileEntry*>& files) {
  return FolderRun(spec, options, input, executable, redactor).run(folder, files);
}

}  // namespace agent::controls::external
