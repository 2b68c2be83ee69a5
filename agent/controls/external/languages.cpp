#include "agent/controls/external/languages.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <fstream>
#include <regex>

#include "agent/controls/external/external_control.h"

namespace agent::controls::external {
namespace {

struct LanguageNames {
  std::string_view language;
  std::string_view label;
  std::vector<std::string_view> extensions;  // with the dot, lower case
};

const std::vector<LanguageNames>& table() {
  static const std::vector<LanguageNames> t = {
      {"python", "Python", {".py", ".pyi", ".pyw"}},
      {"c", "C", {".c", ".h"}},
      {"cpp", "C++", {".cc", ".cpp", ".cxx", ".c++", ".hpp", ".hh", ".hxx", ".h++", ".h"}},
      {"shell", "shell", {".sh", ".bash", ".ksh", ".dash"}},
      {"javascript", "JavaScript", {".js", ".mjs", ".cjs", ".jsx"}},
      {"typescript", "TypeScript", {".ts", ".tsx", ".mts", ".cts"}},
      {"go", "Go", {".go"}},
      {"ruby", "Ruby", {".rb", ".rake", ".gemspec", ".ru"}},
      {"java", "Java", {".java"}},
      {"kotlin", "Kotlin", {".kt", ".kts"}},
      {"php", "PHP", {".php", ".phtml"}},
      {"csharp", "C#", {".cs", ".csx"}},
      {"rust", "Rust", {".rs"}},
      {"scala", "Scala", {".scala", ".sc"}},
      {"swift", "Swift", {".swift"}},
      {"terraform", "Terraform", {".tf", ".tf.json"}},
      {"dockerfile", "Dockerfile", {".dockerfile"}},
      {"yaml", "YAML", {".yaml", ".yml"}},
      {"kubernetes", "Kubernetes", {".yaml", ".yml"}},
  };
  return t;
}

const LanguageNames* find(std::string_view language) {
  for (const auto& l : table())
    if (l.language == language) return &l;
  return nullptr;
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

std::string_view basename(std::string_view path) {
  auto slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

bool shell_shebang(std::string_view first_line) {
  // "#!/bin/sh", "#!/usr/bin/env bash", "#! /bin/dash -e", "#!/usr/bin/env -S ksh"
  static const std::regex pattern(R"(^#!\s*\S*?/?(?:env\s+(?:-\S+\s+)*)?(?:\S*/)?(sh|bash|dash|ksh)\b)");
  std::string line(first_line);
  return std::regex_search(line, pattern);
}

std::string read_first_line(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::array<char, 256> buf{};
  in.read(buf.data(), buf.size());
  std::string_view text(buf.data(), static_cast<std::size_t>(in.gcount()));
  return std::string(text.substr(0, text.find('\n')));
}

}  // namespace

bool is_language(std::string_view language, std::string_view path, std::string_view first_line) {
  const std::string name = lower(basename(path));
  if (language == "dockerfile") {
    if (name.rfind("dockerfile", 0) == 0 || name.rfind("containerfile", 0) == 0) return true;
  }
  if (language == "ruby" && (name == "gemfile" || name == "rakefile")) return true;
  const LanguageNames* l = find(language);
  if (!l) return false;
  for (auto ext : l->extensions)
    if (ends_with(name, ext) && name.size() > ext.size()) return true;
  if (language == "shell" && name.find('.') == std::string::npos && !first_line.empty())
    return shell_shebang(first_line);
  return false;
}

std::string language_label(std::string_view language) {
  const LanguageNames* l = find(language);
  return l ? std::string(l->label) : std::string(language);
}

std::string languages_label(const std::vector<std::string>& languages) {
  std::string out;
  for (std::size_t i = 0; i < languages.size(); ++i) {
    if (i > 0) out += i + 1 == languages.size() ? " or " : ", ";
    out += language_label(languages[i]);
  }
  return out;
}

std::vector<const FileEntry*> files_of(const ScanInput& input, std::string_view folder,
                                       const std::vector<std::string>& languages) {
  std::vector<const FileEntry*> out;
  std::string prefix = folder.empty() ? "" : std::string(folder) + "/";
  const bool shell = std::find(languages.begin(), languages.end(), "shell") != languages.end();
  for (const auto& file : input.files) {
    if (!prefix.empty() && file.path.rfind(prefix, 0) != 0) continue;
    if (languages.empty()) {
      out.push_back(&file);
      continue;
    }
    std::string first_line;
    const auto name = basename(file.path);
    if (shell && name.find('.') == std::string_view::npos) first_line = read_first_line(file.abs);
    for (const auto& language : languages)
      if (is_language(language, file.path, first_line)) {
        out.push_back(&file);
        break;
      }
  }
  return out;
}

}  // namespace agent::controls::external
