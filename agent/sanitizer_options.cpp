// Linked into jit-agent only by a -DJIT_SANITIZE=ON build: the sanitizers' defaults for every run of
// the binary, also where a test gives it a clean environment (ci_fixture, the fetch tests) and so no
// ASAN_OPTIONS. A report is written to /tmp/jit-sanitizer.<pid> (not only to a stderr the test may
// not show) and the process exits 86, which no jit-agent exit code uses; scripts/sanitize.sh fails
// when such a file appears. ASAN_OPTIONS / UBSAN_OPTIONS in the environment still override these.
extern "C" {
// NOLINTBEGIN(readability-identifier-naming): names the sanitizer runtimes look up
const char* __asan_default_options() {  // NOLINT(bugprone-reserved-identifier)
  return "detect_leaks=1:exitcode=86:log_path=/tmp/jit-sanitizer:strict_string_checks=1:"
         "detect_stack_use_after_return=1:check_initialization_order=1";
}
const char* __ubsan_default_options() {  // NOLINT(bugprone-reserved-identifier)
  return "halt_on_error=1:print_stacktrace=1:exitcode=86:log_path=/tmp/jit-sanitizer";
}
const char* __lsan_default_options() {  // NOLINT(bugprone-reserved-identifier)
  return "exitcode=86:log_path=/tmp/jit-sanitizer";
}
// NOLINTEND(readability-identifier-naming)
}
