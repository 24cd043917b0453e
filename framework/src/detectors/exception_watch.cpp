// Unobserved exceptions, second half: a task that ended with an exception
// and whose completion handler is stateless (a captureless lambda, a
// function pointer, asio::as_tuple(asio::detached), ...). Such a handler
// can only keep what it was given in two ways: rethrow it (to read what(),
// to log it) or store the exception_ptr somewhere that outlives it (a
// global). If neither happened by the time the handler returned, nobody can
// ever see the exception: asyncio's "Task exception was never retrieved".
// Handlers with state (captures) are never reported: testing `if (e)` into
// a captured flag is observing it, and that cannot be seen from here.
//
// Rethrows are seen by interposing std::rethrow_exception (this program's
// definition wins over libstdc++'s, which it forwards to). Storage is seen
// in the exception's reference count, read from libstdc++'s exception
// header after checking the layout once on a probe exception; if the check
// fails (another ABI) the detector stays silent.
#include <simloop/detail/scheduler.hpp>
#include <simloop/detail/task_frame.hpp>
#include <simloop/detail/task_report.hpp>

#include <boost/core/demangle.hpp>

#include <fmt/format.h>

#include <dlfcn.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string_view>
#include <typeinfo>
#include <vector>

namespace simloop::detail {

namespace {

static_assert(sizeof(std::exception_ptr) == sizeof(void*), "libstdc++'s exception_ptr is one pointer");

// The thrown object an exception_ptr refers to (without adding a reference).
const void* object_of(const std::exception_ptr& e) noexcept {
  const void* p;
  std::memcpy(&p, static_cast<const void*>(&e), sizeof p);
  return p;
}

// The Itanium C++ ABI as libstdc++ lays it out on LP64: the thrown object
// follows a __cxa_refcounted_exception of 128 bytes, whose first word is the
// reference count, and whose __cxa_exception (the last 112 bytes) starts
// with the exception's type_info.
constexpr std::ptrdiff_t refcount_offset = 128;
constexpr std::ptrdiff_t type_offset = 112;

int reference_count(const void* object) noexcept {
  int n;
  std::memcpy(&n, static_cast<const char*>(object) - refcount_offset, sizeof n);
  return n;
}
const std::type_info* thrown_type(const void* object) noexcept {
  const std::type_info* t;
  std::memcpy(&t, static_cast<const char*>(object) - type_offset, sizeof t);
  return t;
}

struct layout_probe {};

bool layout_known() noexcept {
  static const bool known = [] {
    if (sizeof(void*) != 8) return false;
    std::exception_ptr a;
    try {
      throw layout_probe{};
    } catch (...) {
      a = std::current_exception();
    }
    const void* object = object_of(a);
    if (!object || !thrown_type(object) || *thrown_type(object) != typeid(layout_probe)) return false;
    if (reference_count(object) != 1) return false;
    std::exception_ptr b = a;
    return reference_count(object) == 2;
  }();
  return known;
}

// Per thread (a simulation runs on one): how many tasks wait for their
// handler to run, and what was rethrown meanwhile.
struct watch_state {
  unsigned watching = 0;
  std::vector<const void*> rethrown;
};
thread_local watch_state tl_watch;

void note_rethrow(const std::exception_ptr& e) noexcept {
  watch_state& w = tl_watch;
  if (w.watching == 0 || !e) return;
  try {
    w.rethrown.push_back(object_of(e));
  } catch (...) {
  }
}

// "ignoring_body()::{lambda(std::exception_ptr)#1}".
std::string readable_type(const std::type_info& t) {
  std::string name = boost::core::demangle(t.name());
  auto erase_all = [&](std::string_view what, std::string_view with) {
    for (std::size_t at; (at = name.find(what)) != std::string::npos;) name.replace(at, what.size(), with);
  };
  erase_all("(anonymous namespace)::", "");
  erase_all("std::__exception_ptr::exception_ptr", "std::exception_ptr");
  if (name.size() > 120) name = name.substr(0, 117) + "...";
  return name;
}

}  // namespace

void watch_exception() noexcept { ++tl_watch.watching; }

void task_frame::check_exception_kept() noexcept {
  std::exception_ptr e = std::move(rare_->ended_with);
  watch_state& w = tl_watch;
  const void* object = object_of(e);
  auto kept = std::remove(w.rethrown.begin(), w.rethrown.end(), object);
  bool rethrown = kept != w.rethrown.end();
  w.rethrown.erase(kept, w.rethrown.end());
  if (w.watching > 0 && --w.watching == 0) w.rethrown.clear();
  // `e` is now the only reference simloop holds: more means the handler
  // (or a handler still to run) kept one.
  if (rethrown || !layout_known() || reference_count(object) > 1) return;
  if (!sched_ || sched_->stopping() || sched_->tearing_down() || !sched_->opts().detect_unobserved_exceptions) return;
  try {
    sched_->add_finding(
        finding_kind::exception,
        fmt::format("exception in a task whose completion handler ignored it: {}", exception_summary(e)),
        fmt::format("{}"
                    "  handler:    {} (stateless: it neither rethrew the exception_ptr nor kept it)\n"
                    "  fix:        co_await the task, or make the handler rethrow (std::rethrow_exception) or "
                    "store the exception_ptr where the test checks it\n",
                    describe_task(*sched_, lane_, 0, false), readable_type(*handler_type_)));
  } catch (...) {
  }
}

}  // namespace simloop::detail

// The interposed std::rethrow_exception: note it, then libstdc++'s.
namespace std {
void rethrow_exception(exception_ptr e) {
  simloop::detail::note_rethrow(e);
  using real_fn = void (*)(exception_ptr);
  static const real_fn real =
      reinterpret_cast<real_fn>(dlsym(RTLD_NEXT, "_ZSt17rethrow_exceptionNSt15__exception_ptr13exception_ptrE"));
  if (!real) std::abort();
  real(std::move(e));
  std::abort();  // not reached: the real one throws
}
}  // namespace std
