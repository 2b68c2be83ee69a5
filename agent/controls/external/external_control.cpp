#include "agent/controls/external/external_control.h"

#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include <spdlog/spdlog.h>

#include "agent/controls/external/convert.h"
#include "agent/controls/external/languages.h"
#include "agent/controls/external/parsers.h"
#include "agent/controls/external/process_runner.h"
#include "agent/controls/external/variables.h"
#include "agent/util/redact.h"

namespace agent::controls::external {
namespace {

namespace fs = std::filesystem;
constexpr std::string_view default_path = "/usr/local/bin:/usr/bin:/bin";

std::string command_of(const config::ToolSpec& spec, const ExternalOptions& options) {
  std::string command = spec.command;
  const std::string var = "${JIT_TOOLS_DIR}";
  for (auto pos = command.find(var); pos != std::string::npos; pos = command.find(var))
    command.replace(pos, var.size(), options.tools_dir.string());
  return command;
}

std::string env_value(const ExternalOptions& options, std::string_view name) {
  if (!options.env) return "";
  return options.env->get(name).value_or("");
}

bool executable_file(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec) && ::access(p.c_str(), X_OK) == 0;
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
    if (name == "PATH" && (!value || value->empty())) value = std::string(default_path);
    if (value) out.push_back(name + "=" + *value);
  }
  return out;
}

std::string format_duration(std::chrono::seconds d) {
  auto s = d.count();
  if (s < 60) return std::to_string(s) + "s";
  if (s < 3600) return std::to_string(s / 60) + "m" + std::to_string(s % 60) + "s";
  return std::to_string(s / 3600) + "h" + std::to_string(s % 3600 / 60) + "m" + std::to_string(s % 60) + "s";
}

bool contains(const std::vector<int>& codes, int code) {
  return std::find(codes.begin(), codes.end(), code) != codes.end();
}

// A private directory for one run's report, removed with everything in it.
class TempDir {
 public:
  explicit TempDir(const fs::path& base, const std::string& name) {
    std::string pattern = (base / ("jit-" + name + "-XXXXXX")).string();
    std::vector<char> buf(pattern.begin(), pattern.end());
    buf.push_back('\0');
    if (::mkdtemp(buf.data()) == nullptr)
      throw util::RuntimeError("cannot create a temporary directory under " + base.string() + ": " +
                               std::strerror(errno));
    path_ = buf.data();
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

struct FolderOutcome {
  std::vector<findings::Finding> findings;
  std::vector<std::string> warnings;
  std::optional<std::string> error;  // the errored reason
};

}  // namespace

std::optional<fs::path> find_tool(const config::ToolSpec& spec, const ExternalOptions& options) {
  const std::string command = command_of(spec, options);
  if (command.empty()) return std::nullopt;
  if (command.find('/') != std::string::npos) {
    if (executable_file(command)) return fs::path(command);
    return std::nullopt;
  }
  std::string path = env_value(options, "PATH");
  if (path.empty()) path = default_path;
  std::stringstream dirs(path);
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (dir.empty() || dir.front() != '/') continue;  // a relative PATH entry would depend on the cwd
    fs::path candidate = fs::path(dir) / command;
    if (executable_file(candidate)) return candidate;
  }
  return std::nullopt;
}

std::string tool_version(const config::ToolSpec& spec, const fs::path& executable, const ExternalOptions& options) {
  if (spec.version_args.empty()) return "";
  RunRequest request;
  request.executable = executable;
  std::istringstream words(spec.version_args);
  for (std::string w; words >> w;) request.args.push_back(w);
  request.cwd = "/";
  request.env = child_env(spec, options);
  request.timeout = std::chrono::seconds(10);
  request.max_capture_bytes = 16u << 10;
  RunOutcome outcome = run_process(request);
  if (!outcome.launch_error.empty() || outcome.timed_out) return "";
  for (const std::string* text : {&outcome.out, &outcome.err}) {
    std::istringstream lines(*text);
    for (std::string line; std::getline(lines, line);) {
      std::string safe = make_snippet(line);
      if (!safe.empty()) return safe;
    }
  }
  return "";
}

ExternalControl::ExternalControl(config::ToolSpec spec, ExternalOptions options)
    : spec_(std::move(spec)), options_(std::move(options)) {}

namespace {

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

  void run_tool(const std::string& folder, const std::vector<const FileEntry*>& files, FolderOutcome& result) {
    std::error_code ec;
    const fs::path root = fs::absolute(input_.root, ec).lexically_normal();
    std::string tmp = env_value(options_, "TMPDIR");
    TempDir temp(tmp.empty() ? fs::temp_directory_path() : fs::path(tmp), spec_.name);
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
    request.args = expand_args(spec_, vars, file_args);
    request.cwd = root;
    request.env = child_env(spec_, options_);
    request.timeout = spec_.timeout;
    request.stdout_is_report = spec_.output == "stdout";
    request.max_report_bytes = options_.max_report_bytes;
    request.max_capture_bytes = options_.max_capture_bytes;
    spdlog::debug("{}: running in {} ({} files)", spec_.name, folder.empty() ? "." : folder, files.size());
    RunOutcome run = run_process(request);

    if (!run.launch_error.empty()) {
      result.error = "could not start " + executable_.string() + ": " + run.launch_error;
      return;
    }
    if (run.timed_out) {
      result.error = "timed out after " + format_duration(spec_.timeout) + " (process group ended)" + stderr_tail(run.err);
      return;
    }
    if (run.stdout_too_large) {
      result.error = "its report on standard output is larger than " + std::to_string(options_.max_report_bytes) +
                     " bytes: refused (the tool was stopped)";
      return;
    }
    if (!run.exited) {
      result.error = "was killed by " + signal_name(run.signal) + stderr_tail(run.err);
      return;
    }
    const bool ok = contains(spec_.exit_codes.ok, run.exit_code);
    const bool found = contains(spec_.exit_codes.findings, run.exit_code);
    if (!ok && !found) {
      result.error = "exited with code " + std::to_string(run.exit_code) +
                     (contains(spec_.exit_codes.error, run.exit_code) ? " (an error, per its exit_codes)"
                                                                      : " (not in its exit_codes)") +
                     stderr_tail(run.err);
      return;
    }
    std::string report;
    if (request.stdout_is_report) {
      report = std::move(run.out);
    } else {
      const fs::path file = vars.report_file;
      if (!fs::exists(file, ec)) {
        result.error = "exited with code " + std::to_string(run.exit_code) + " but wrote no report" + stderr_tail(run.err);
        return;
      }
      const auto size = fs::file_size(file, ec);
      if (ec) {
        result.error = "cannot read its report: " + ec.message();
        return;
      }
      if (size > options_.max_report_bytes) {
        result.error = "its report is " + std::to_string(size) + " bytes, larger than the limit of " +
                       std::to_string(options_.max_report_bytes) + ": refused unread";
        return;
      }
      std::ifstream in(file, std::ios::binary);
      report.resize(size);
      in.read(report.data(), static_cast<std::streamsize>(size));
      report.resize(static_cast<std::size_t>(in.gcount()));
    }
    if (report.find_first_not_of(" \t\r\n") == std::string::npos) {
      result.error = "exited with code " + std::to_string(run.exit_code) + " but wrote an empty report" + stderr_tail(run.err);
      return;
    }
    ParsedReport parsed;
    try {
      parsed = parse_report(spec_.format, report);
    } catch (const ReportError& e) {
      result.error = std::string("wrote a report that is not valid ") + e.what();
      return;
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

// Values of our variables that look like credentials, blanked out of anything a tool said.
util::Redactor secrets_of(const ExternalOptions& options) {
  util::Redactor r;
  if (!options.env) return r;
  for (const auto& [name, value] : options.env->vars()) {
    std::string upper = name;
    for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    for (std::string_view word : {"TOKEN", "SECRET", "PASSWORD", "PASSWD", "API_KEY", "PRIVATE"})
      if (upper.find(word) != std::string::npos) {
        r.add(value);
        break;
      }
  }
  return r;
}

}  // namespace

void ExternalControl::run(const ScanInput& input, findings::ScanResult& out) {
  const std::vector<std::string> folders = input.folders.empty() ? std::vector<std::string>{""} : input.folders;
  struct Job {
    std::string folder;
    std::vector<const FileEntry*> files;
  };
  std::vector<Job> jobs;
  for (const auto& raw : folders) {
    std::string folder = raw;
    while (!folder.empty() && folder.back() == '/') folder.pop_back();
    if (folder == ".") folder.clear();
    auto files = files_of(input, folder, spec_.languages);
    if (!spec_.languages.empty() && files.empty()) {
      out.skipped_controls.push_back({spec_.name,
                                      "no " + languages_label(spec_.languages) + " files" +
                                          (folder.empty() ? "" : " in " + folder),
                                      folder});
      continue;
    }
    jobs.push_back({folder, std::move(files)});
  }
  if (jobs.empty()) return;

  const util::Redactor redactor = secrets_of(options_);
  auto executable = find_tool(spec_, options_);
  if (!executable) {
    const std::string command = command_of(spec_, options_);
    std::string reason = spec_.name + " is not installed (looked for `" + command + "`" +
                         (command.find('/') == std::string::npos ? " in PATH)" : ")");
    reason = terminal_safe(redactor.apply(reason), false);
    if (spec_.automatic) {
      spdlog::info("{}: skipped: {}", spec_.name, reason);
      out.skipped_controls.push_back({spec_.name, reason, ""});
    } else {
      spdlog::warn("{}: errored: {}", spec_.name, reason);
      out.errored_controls.push_back({spec_.name, reason, ""});
      if (std::find(out.controls.begin(), out.controls.end(), spec_.name) == out.controls.end())
        out.controls.push_back(spec_.name);
    }
    return;
  }
  if (std::find(out.controls.begin(), out.controls.end(), spec_.name) == out.controls.end())
    out.controls.push_back(spec_.name);

  std::vector<FolderOutcome> outcomes(jobs.size());
  std::atomic<std::size_t> next{0};
  std::mutex mutex;
  FolderRun runner(spec_, options_, input, *executable, redactor);
  auto worker = [&] {
    for (std::size_t i = next++; i < jobs.size(); i = next++) {
      FolderOutcome outcome = runner.run(jobs[i].folder, jobs[i].files);
      std::lock_guard lock(mutex);
      outcomes[i] = std::move(outcome);
    }
  };
  const std::size_t threads = std::min<std::size_t>(jobs.size(), std::max(1u, input.jobs));
  std::vector<std::thread> pool;
  for (std::size_t t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();

  std::vector<findings::Finding> found;
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    auto& o = outcomes[i];
    for (auto& f : o.findings) found.push_back(std::move(f));
    for (auto& w : o.warnings) {
      spdlog::warn("{}", w);
      out.warnings.push_back(std::move(w));
    }
    if (o.error) {
      std::string where = jobs[i].folder.empty() ? "" : " in " + jobs[i].folder;
      spdlog::warn("{}: errored{}: {}", spec_.name, where, *o.error);
      out.errored_controls.push_back({spec_.name, *o.error, jobs[i].folder});
    }
  }
  if (std::any_of(found.begin(), found.end(), [](const auto& f) { return !f.tool || f.tool->tool_version.empty(); })) {
    const std::string version = tool_version(spec_, *executable, options_);
    for (auto& f : found)
      if (f.tool && f.tool->tool_version.empty()) f.tool->tool_version = version;
  }
  dedup_and_fingerprint(found, spec_.name);
  for (auto& f : found) out.findings.push_back(std::move(f));
}

}  // namespace agent::controls::external
