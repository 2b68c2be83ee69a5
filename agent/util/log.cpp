#include "agent/util/log.h"

#include <spdlog/sinks/base_sink.h>

#include <cstdio>
#include <mutex>

#include "agent/util/redact.h"

namespace agent::util {
namespace {

class RedactingStderrSink : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit RedactingStderrSink(bool color) : color_(color) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    std::string text = global_redactor().apply(std::string_view(msg.payload.data(), msg.payload.size()));
    const char* prefix = "";
    const char* on = "";
    const char* off = "";
    switch (msg.level) {
      case spdlog::level::err:
      case spdlog::level::critical: prefix = "error: "; on = "\x1b[31m"; break;
      case spdlog::level::warn: prefix = "warning: "; on = "\x1b[33m"; break;
      case spdlog::level::debug:
      case spdlog::level::trace: prefix = "debug: "; on = "\x1b[2m"; break;
      default: break;
    }
    if (color_ && *on) off = "\x1b[0m";
    else on = "";
    std::fprintf(stderr, "%s%s%s%s\n", on, prefix, text.c_str(), off);
  }
  void flush_() override { std::fflush(stderr); }

 private:
  bool color_;
};

}  // namespace

void init_logging(LogLevel level, bool color) {
  auto sink = std::make_shared<RedactingStderrSink>(color);
  auto logger = std::make_shared<spdlog::logger>("jit-agent", sink);
  switch (level) {
    case LogLevel::quiet: logger->set_level(spdlog::level::err); break;
    case LogLevel::normal: logger->set_level(spdlog::level::info); break;
    case LogLevel::verbose: logger->set_level(spdlog::level::debug); break;
    case LogLevel::debug: logger->set_level(spdlog::level::trace); break;
  }
  spdlog::set_default_logger(logger);
}

}  // namespace agent::util
