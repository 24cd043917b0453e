// Return addresses captured cheaply, symbolised only when a finding prints.
#include <simloop/allow_blocking.hpp>
#include <simloop/detail/spawn_site.hpp>

#if defined(SIMLOOP_HAVE_LIBBACKTRACE)
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
  // The qualified name before its template or parameter list ("void
  // boost::asio::detail::initiate_co_spawn<...>::operator()<...>(...)").
  std::string_view head = name.substr(0, name.find_first_of("<("));
  for (std::string_view ns : {"boost::", "simloop::", "std::", "testing::", "__"})
    if (head.find(ns) != std::string_view::npos) return true;
  return name.empty() || head.find("_start") != std::string_view::npos;
}

bool is_runtime_file(std::string_view file) {
#ifdef SIMLOOP_FRAMEWORK_DIR
  // simloop's own compiled sources (the framework/ folder).
  if (file.find(SIMLOOP_FRAMEWORK_DIR "/") != std::string_view::npos) return true;
#endif
  return starts_with(file, "/usr/") || file.find("/c++/") != std::string_view::npos ||
         is_library_file(std::string(file).c_str());
}

struct symbol {
  std::string name, file;
  std::size_t line = 0;
};

symbol lookup(void* pc) {
  // Symbolising reads debug information (through a pipe, with addr2line):
  // simloop's own work, never a blocking_call finding.
  allow_blocking allow;
  // A return address points after the call: pc - 1 lies in the call itself.
  boost::stacktrace::frame f(reinterpret_cast<void*>(reinterpret_cast<std::uintptr_t>(pc) - 1));
  symbol s;
  s.name = f.name();
  s.file = f.source_file();
  s.line = f.source_line();
  return s;
}

// "ns::f" from "(anonymous namespace)::ns::f(ns::f()::Frame*)": no
// anonymous-namespace noise, no parameter list (a coroutine's actor takes
// its frame), at most 100 characters.
std::string readable(std::string name) {
  constexpr std::string_view anon = "(anonymous namespace)::";
  for (std::size_t at; (at = name.find(anon)) != std::string::npos;) name.erase(at, anon.size());
  int depth = 0;
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (name[i] == '<') ++depth;
    if (name[i] == '>') --depth;
    if (name[i] == '(' && depth == 0 && i > 0) {
      name.resize(i);
      break;
    }
  }
  if (name.size() > 100) name = name.substr(0, 97) + "...";
  return name;
}

}  // namespace

int capture_return_addresses(void** out, int max) noexcept {
  unwind_state s{out, max, 0, 1};
  _Unwind_Backtrace(&collect, &s);
  return s.count;
}

bool is_library_file(const char* file) noexcept {
  if (!file) return true;
  // Asked once per coroutine frame that awaits: remember the answer per
  // string literal (one per file and translation unit).
  struct entry {
    const char* file;
    bool library;
  };
  thread_local entry cache[64] = {};
  entry& e = cache[(reinterpret_cast<std::uintptr_t>(file) >> 4) & 63];
  if (e.file != file) e = entry{file, std::strstr(file, "/boost/") || std::strstr(file, "/include/simloop/")};
  return e.library;
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
  int omitted = 0;
  for (int i = 0; i < count; ++i) {
    symbol s = lookup(frames[i]);
    // The call itself, then the user's frames: Asio's and simloop's
    // machinery between them says nothing about the bug.
    bool runtime = s.file.empty() ? is_runtime_function(s.name) : is_runtime_file(s.file);
    if (i > 0 && runtime) {
      ++omitted;
      continue;
    }
    std::string name = s.name.empty() ? fmt::format("{}", frames[i]) : readable(s.name);
    if (s.file.empty())
      out += fmt::format("    #{:<2} {}\n", i, name);
    else
      out += fmt::format("    #{:<2} {} at {}\n", i, name, short_site(s.file.c_str(), static_cast<unsigned>(s.line)));
  }
  if (omitted) out += fmt::format("    ({} frames of Asio, simloop and the standard library not shown)\n", omitted);
  return out;
}

}  // namespace simloop::detail
