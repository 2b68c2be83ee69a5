#include "agent/controls/external/process_runner.h"

#include <signal.h>
#include <sys/types.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <functional>
#include <optional>

#include <boost/asio/io_context.hpp>
#include <boost/asio/readable_pipe.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/process/v2.hpp>

namespace agent::controls::external {
namespace {

namespace asio = boost::asio;
namespace bp = boost::process::v2;

// Runs in the child between fork and exec: the tool leads a process group of its own, so a
// timeout can end it and everything it started with one kill(-pgid).
struct NewProcessGroup {
  template <typename Launcher, typename Path, typename Argv>
  bp::error_code on_exec_setup(Launcher&, const Path&, Argv&) {
    if (::setpgid(0, 0) != 0) return bp::error_code(errno, bp::system_category());
    return {};
  }
};

// The child's environment, exactly these "NAME=value" entries. (Boost 1.81's own
// process_environment cannot link in header-only mode: its on_setup is defined in a .ipp that
// only the separately compiled library includes.)
struct ChildEnvironment {
  explicit ChildEnvironment(const std::vector<std::string>& entries) {
    for (const auto& e : entries) pointers.push_back(e.c_str());
    pointers.push_back(nullptr);
  }
  template <typename Launcher, typename Path, typename Argv>
  bp::error_code on_setup(Launcher& launcher, const Path&, Argv&) {
    launcher.env = pointers.data();
    return {};
  }
  std::vector<const char*> pointers;
};

void keep_tail(std::string& text, std::size_t max) {
  // Trim in chunks so a long stream is not shifted on every read.
  if (text.size() > 2 * max) text.erase(0, text.size() - max);
}

void final_tail(std::string& text, std::size_t max) {
  if (text.size() > max) text.erase(0, text.size() - max);
}

// One pipe read until EOF; `sink` takes each chunk.
struct PipeReader {
  asio::readable_pipe pipe;
  std::array<char, 65536> buffer{};
  std::function<void(const char*, std::size_t)> sink;
  std::function<void()> on_done;
  bool done = false;

  explicit PipeReader(asio::io_context& ctx) : pipe(ctx) {}
  void start() {
    pipe.async_read_some(asio::buffer(buffer), [this](const bp::error_code& ec, std::size_t n) {
      if (n > 0) sink(buffer.data(), n);
      if (ec) {
        done = true;
        bp::error_code ignored;
        pipe.close(ignored);
        on_done();
        return;
      }
      start();
    });
  }
};

}  // namespace

std::string signal_name(int signal) {
  switch (signal) {
    case SIGSEGV: return "SIGSEGV";
    case SIGABRT: return "SIGABRT";
    case SIGKILL: return "SIGKILL";
    case SIGTERM: return "SIGTERM";
    case SIGBUS: return "SIGBUS";
    case SIGFPE: return "SIGFPE";
    case SIGILL: return "SIGILL";
    case SIGINT: return "SIGINT";
    case SIGPIPE: return "SIGPIPE";
    case SIGHUP: return "SIGHUP";
    default: return "signal " + std::to_string(signal);
  }
}

RunOutcome run_process(const RunRequest& request) {
  RunOutcome outcome;
  const auto started = std::chrono::steady_clock::now();
  asio::io_context ctx;
  PipeReader out(ctx), err(ctx);
  asio::steady_timer deadline(ctx), grace(ctx), drain(ctx);
  pid_t group = 0;

  auto kill_group = [&](int sig) {
    if (group > 0) ::kill(-group, sig);
  };

  std::optional<bp::process> proc;
  try {
    proc.emplace(ctx, bp::filesystem::path(request.executable.string()), request.args,
                 bp::process_stdio{nullptr, out.pipe, err.pipe}, ChildEnvironment{request.env},
                 bp::process_start_dir{bp::filesystem::path(request.cwd.string())}, NewProcessGroup{});
  } catch (const std::exception& e) {
    outcome.launch_error = e.what();
    return outcome;
  }
  group = proc->id();

  bool waited = false;
  auto maybe_finish = [&] {
    if (waited && out.done && err.done) {
      deadline.cancel();
      grace.cancel();
      drain.cancel();
    }
  };
  out.on_done = maybe_finish;
  err.on_done = maybe_finish;
  out.sink = [&](const char* data, std::size_t n) {
    if (outcome.stdout_too_large) return;
    if (request.stdout_is_report) {
      if (outcome.out.size() + n > request.max_report_bytes) {
        // Refused, not held: drop what we have and stop the tool.
        outcome.stdout_too_large = true;
        std::string().swap(outcome.out);
        kill_group(SIGKILL);
        return;
      }
      outcome.out.append(data, n);
    } else {
      outcome.out.append(data, n);
      keep_tail(outcome.out, request.max_capture_bytes);
    }
  };
  err.sink = [&](const char* data, std::size_t n) {
    outcome.err.append(data, n);
    keep_tail(outcome.err, request.max_capture_bytes);
  };
  out.start();
  err.start();

  deadline.expires_after(request.timeout);
  deadline.async_wait([&](const bp::error_code& ec) {
    if (ec || waited) return;
    outcome.timed_out = true;
    kill_group(SIGTERM);
    grace.expires_after(request.grace);
    grace.async_wait([&](const bp::error_code& ec2) {
      if (!ec2) kill_group(SIGKILL);
    });
  });

  proc->async_wait([&](const bp::error_code& ec, int) {
    waited = true;
    grace.cancel();
    if (!ec) {
      const int status = proc->native_exit_code();
      if (WIFEXITED(status)) {
        outcome.exited = true;
        outcome.exit_code = WEXITSTATUS(status);
      } else if (WIFSIGNALED(status)) {
        outcome.signal = WTERMSIG(status);
      }
    } else {
      outcome.launch_error = "waiting for the tool failed: " + ec.message();
    }
    // The tool is done: whatever it left behind in its group is an orphan; end it.
    kill_group(SIGKILL);
    // A descendant that left the group could still hold the pipes: stop reading after a while.
    drain.expires_after(std::chrono::seconds(2));
    drain.async_wait([&](const bp::error_code& ec2) {
      if (ec2) return;
      bp::error_code ignored;
      if (!out.done) out.pipe.close(ignored);
      if (!err.done) err.pipe.close(ignored);
    });
    maybe_finish();
  });

  ctx.run();
  final_tail(outcome.err, request.max_capture_bytes);
  if (!request.stdout_is_report) final_tail(outcome.out, request.max_capture_bytes);
  outcome.elapsed =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
  return outcome;
}

}  // namespace agent::controls::external
