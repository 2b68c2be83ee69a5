#include "agent/controls/external/external_control.h"

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <atomic>
#include <mutex>
#include <sstream>
#include <thread>

#include <spdlog/spdlog.h>

#include "agent/controls/external/convert.h"
#include "agent/controls/external/folder_run.h"
#include "agent/controls/external/languages.h"
#include "agent/controls/external/parsers.h"
#include "agent/controls/external/process_runner.h"
#include "agent/util/redact.h"

namespace agent::controls::external {
namespace {

namespace fs = std::filesystem;

std::string command_of(const config::ToolSpec& spec, const ExternalOptions& options) {
  std::string command = spec.command;
  const std::string var = "${JIT_TOOLS_DIR}";
  for (auto pos = command.find(var); pos != std::string::npos; pos = command.find(var))
    command.replace(pos, var.size(), options.tools_dir.string());
  return command;
}

bool executable_file(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec) && ::access(p.c_str(), X_OK) == 0;
}

/// `name` in the environment's PATH (absolute entries only), or "".
fs::path in_path(const std::string& name, const ExternalOptions& options);

/// The interpreter a script's "#!" line names when it cannot be found ("node" for
/// "#!/usr/bin/env node" without node in PATH, "/usr/bin/python3" when absent); "" otherwise
/// (a binary, or an interpreter that is there). A tool whose interpreter is missing is not installed.
std::string missing_interpreter(const fs::path& script, const ExternalOptions& options) {
  std::ifstream in(script, std::ios::binary);
  char head[256] = {};
  in.read(head, sizeof head - 1);
  std::string_view line(head, static_cast<std::size_t>(in.gcount()));
  if (line.substr(0, 2) != "#!") return "";
  line = line.substr(2, line.find('\n') == std::string_view::npos ? std::string_view::npos : line.find('\n') - 2);
  std::istringstream words{std::string(line)};
  std::string interpreter, word;
  words >> interpreter;
  if (interpreter.empty()) return "";
  if (fs::path(interpreter).filename() == "env") {
    while (words >> word && !word.empty() && word.front() == '-') {}  // env -S ...
    if (word.empty() || word.find('=') != std::string::npos) return "";
    return in_path(word, options).empty() ? word : "";
  }
  return executable_file(interpreter) ? "" : interpreter;
}

}  // namespace

std::optional<fs::path> find_tool(const config::ToolSpec& spec, const ExternalOptions& options) {
  const std::string command = command_of(spec, options);
  if (command.empty()) return std::nullopt;
  if (command.find('/') != std::string::npos) {
    if (executable_file(command) && missing_interpreter(command, options).empty()) return fs::path(command);
    return std::nullopt;
  }
  fs::path found = in_path(command, options);
  if (found.empty() || !missing_interpreter(found, options).empty()) return std::nullopt;
  return found;
}

namespace {
fs::path in_path(const std::string& name, const ExternalOptions& options) {
  std::string path = env_value(options, "PATH");
  if (path.empty()) path = default_tool_path;
  std::stringstream dirs(path);
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (dir.empty() || dir.front() != '/') continue;  // a relative PATH entry would depend on the cwd
    fs::path candidate = fs::path(dir) / name;
    if (executable_file(candidate)) return candidate;
  }
  return {};
}
}  // namespace

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
  try {
    run_folders(input, out);
  } catch (const std::exception& e) {
    // Nothing leaves run(): whatever failed outside a tool's run (threads, the file system) errors the control.
    std::string reason = terminal_safe(util::global_redactor().apply(e.what()), false);
    spdlog::warn("{}: errored: {}", spec_.name, reason);
    out.errored_controls.push_back({spec_.name, reason, ""});
    if (std::find(out.controls.begin(), out.controls.end(), spec_.name) == out.controls.end())
      out.controls.push_back(spec_.name);
  }
}

void ExternalControl::run_folders(const ScanInput& input, findings::ScanResult& out) {
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
    fs::path script = command.find('/') == std::string::npos ? in_path(command, options_) : fs::path(command);
    if (!script.empty() && executable_file(script))
      if (std::string interpreter = missing_interpreter(script, options_); !interpreter.empty())
        reason = spec_.name + " is not installed: `" + command + "` needs `" + interpreter + "`, which is not in PATH";
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
  auto worker = [&] {
    for (std::size_t i = next++; i < jobs.size(); i = next++) {
      FolderOutcome outcome = run_folder(spec_, options_, input, *executable, redactor, jobs[i].folder, jobs[i].files);
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
