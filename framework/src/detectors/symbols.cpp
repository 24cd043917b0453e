// Return addresses captured cheaply, symbolised only when a finding prints.
#include <simloop/detail/spawn_site.hpp>

#if defined(SIMLOOP_HAVE_LIBBACKTRACE) && __has_include(<backtrace.h>)
#define BOOST_STACKTRACE_USE_BACKTRACE
#else
#define BOOST_STACKTRACE_USE_ADDR2LINE
#endif
#include <boost/stacktrace/frame.hpp>

#include <fmt/format.h>

#include <unwind.h>

#include <cstdint>
#include <cstring>
#include <string_view>

namespace simloop::detail {

namespace {

struct unwind_state {
  void** out;
  int max;
  int count;
  int skip;
};

_Unwind_Reason_Code collect(_Unwind_Context* ctx, void* arg) {
  auto* s = static_cast<unwind_state*>(arg);
  std::uintptr_t pc = _Unwind_GetIP(ctx);
  if (!pc) return _URC_END_OF_STACK;
  if (s->skip > 0) {
    --s->skip;
    return _URC_NO_REASON;
  }
  if (s->count >= s->max) return _URC_END_OF_STACK;
  s->out[s->count++] = reinterpret_cast<void*>(pc);
  return _URC_NO_REASON;
}

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

// Code that is never the user's: Asio, simloop, the standard library, the
// C runtime, gtest's machinery.
bool is_runtime_function(std::string_view name) {
  return name.empty() || starts_with(name, "boost::") || starts_with(name, "simloop::") ||
         starts_with(name, "std::") || starts_with(name, "__") || starts_with(name, "void std::") ||
         starts_with(name, "testing::") || name.find("_start") != std::string_view::npos;
}

bool is_runtime_file(std::string_view file) {
  return starts_with(file, "/usr/") || file.find("/c++/") != std::string_view::npos ||
         is_library_file(std::string(file).c_str());
}

struct symbol {
  std::string name, file;
  std::size_t line = 0;
};

symbol lookup(void* pc) {
  // A return address points after the call: pc - 1 lies in the call itself.
  boost::stacktrace::frame f(reinterpret_cast<void*>(reinterpret_cast<std::uintptr_t>(pc) - 1));
  symbol s;
  s.name = f.name();
  s.file = f.source_file();
  s.line = f.source_line();
  return s;
}

}  // namespace

int capture_return_addresses(void** out, int max) noexcept {
  unwind_state s{out, max, 0, 1};
  _Unwind_Backtrace(&collect, &s);
  return s.count;
}

bool is_library_file(const char* file) noexcept {
  if (!file) return true;
  return std::strstr(file, "/boost/") || std::strstr(file, "/include/simloop/");
}

std::string short_path(const char* file) {
  if (!file) return "?";
  std::string_view f(file);
  std::size_t best = std::string_view::npos;
  for (std::string_view dir : {"/tests/", "/test/", "/src/", "/scenarios/", "/examples/", "/include/", "/fuzz/",
                               "/tools/"}) {
    std::size_t at = f.rfind(dir);
    if (at != std::string_view::npos && (best == std::string_view::npos || at > best)) best = at;
  }
  return std::string(best == std::string_view::npos ? f : f.substr(best + 1));
}

std::string short_site(const char* file, unsigned line) { return fmt::format("{}:{}", short_path(file), line); }

std::string user_frame_site(void* const* frames, int count) {
  for (int i = 0; i < count; ++i) {
    symbol s = lookup(frames[i]);
    if (!s.file.empty()) {
      if (is_runtime_file(s.file)) continue;
      return short_site(s.file.c_str(), static_cast<unsigned>(s.line));
    }
    if (!is_runtime_function(s.name)) return s.name;
  }
  return {};
}

std::string format_backtrace(void* const* frames, int count) {
  std::string out;
  for (int i = 0; i < count; ++i) {
    symbol s = lookup(frames[i]);
    std::string name = s.name.empty() ? fmt::format("{}", frames[i]) : s.name;
    if (name.size() > 100) name = name.substr(0, 97) + "...";
    if (s.file.empty())
      out += fmt::format("    #{:<2} {}\n", i, name);
    else
      out += fmt::format("    #{:<2} {} at {}\n", i, name, short_site(s.file.c_str(), static_cast<unsigned>(s.line)));
  }
  return out;
}

}  // namespace simloop::detail
