// What `setup` and `doctor` share: the administrator's token, the GitLab URL, the dedicated
// project's path, the pipeline file setup commits (the template, compiled in) and its image.
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "agent/cli/pipeline_template.h"
#include "agent/cli/setup.h"
#include "agent/gitlab/client.h"
#include "agent/util/error.h"
#include "agent/util/redact.h"

namespace agent::cli {
namespace {

std::string read_line_hidden() {
  std::string line;
  const bool tty = isatty(STDIN_FILENO) != 0;
  termios old{};
  if (tty) {
    std::cerr << "GitLab token (Owner of the group, scope api; input hidden): " << std::flush;
    tcgetattr(STDIN_FILENO, &old);
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  }
  std::getline(std::cin, line);
  if (tty) {
    tcsetattr(STDIN_FILENO, TCSANOW, &old);
    std::cerr << "\n";
  }
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
  return line;
}

}  // namespace

std::string read_admin_token(const util::Environment& env) {
  std::string token = env.get_or("JIT_SETUP_TOKEN", "");
  if (token.empty()) token = read_line_hidden();
  if (token.empty())
    throw util::UsageError("no GitLab token: set JIT_SETUP_TOKEN or give it on stdin (never on the command line)");
  util::global_redactor().add(token);
  return token;
}

std::string admin_api_url(const std::string& gitlab_flag, const util::Environment& env) {
  std::string url;
  if (!gitlab_flag.empty()) {
    url = gitlab_flag;
    while (!url.empty() && url.back() == '/') url.pop_back();
    if (url.size() < 7 || url.substr(url.size() - 7) != "/api/v4") url += "/api/v4";
  } else {
    url = gitlab::ClientOptions::from_env(env).api_url;
  }
  if (url.empty()) throw util::UsageError("no GitLab URL: give --gitlab https://gitlab.example.com or set CI_SERVER_URL");
  return url;
}

std::string dedicated_project_path(const std::string& group, const std::string& project) {
  if (group.empty()) throw util::UsageError("--group is empty");
  if (project.empty()) return group + "/" + std::string(kDefaultProjectName);
  std::string path = project;
  while (!path.empty() && path.front() == '/') path.erase(0, 1);
  if (path.rfind(group + "/", 0) != 0) path = group + "/" + path;
  if (path.back() == '/' || path.find("//") != std::string::npos)
    throw util::UsageError("--project " + project + ": not a project path");
  return path;
}

std::string image_of_pipeline(std::string_view pipeline) {
  auto key = pipeline.find("JIT_AGENT_IMAGE:");
  if (key == std::string_view::npos) return {};
  auto value = pipeline.find("value:", key);
  auto eol = pipeline.find('\n', key);
  // `JIT_AGENT_IMAGE: "img"` on one line, or `value: "img"` on the next.
  std::string_view rest = (eol != std::string_view::npos && (value == std::string_view::npos || value > pipeline.find('\n', eol + 1)))
                              ? pipeline.substr(key + 16, eol - key - 16)
                              : (value == std::string_view::npos ? std::string_view() : pipeline.substr(value + 6));
  rest = rest.substr(0, rest.find('\n'));
  auto q1 = rest.find('"');
  if (q1 != std::string_view::npos) {
    auto q2 = rest.find('"', q1 + 1);
    return q2 == std::string_view::npos ? std::string() : std::string(rest.substr(q1 + 1, q2 - q1 - 1));
  }
  auto b = rest.find_first_not_of(" \t");
  if (b == std::string_view::npos) return {};
  auto e = rest.find_first_of(" \t#", b);
  return std::string(rest.substr(b, e == std::string_view::npos ? std::string_view::npos : e - b));
}

std::string pipeline_file(const std::string& image) {
  std::string text(kPipelineTemplate);
  const std::string current = image_of_pipeline(text);
  if (current.empty()) throw util::RuntimeError("the built-in pipeline template names no JIT_AGENT_IMAGE");
  std::string wanted = image;
  if (wanted.empty()) {
    wanted = current;
    auto colon = wanted.rfind(':');
    if (colon != std::string::npos && colon > wanted.rfind('/')) wanted.resize(colon);
    wanted += std::string(":") + JIT_AGENT_VERSION;
  }
  auto at = text.find("\"" + current + "\"");
  text.replace(at + 1, current.size(), wanted);
  return text;
}

std::string iso_date(std::chrono::sys_days day) {
  std::chrono::year_month_day ymd{day};
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()));
  return buf;
}

}  // namespace agent::cli
