// The blocking_call detector: libc entry points that block the thread,
// interposed (this executable's definitions win over libc's) and forwarded
// to the real ones through dlsym(RTLD_NEXT). Outside a simulated step a hook
// costs one thread-local read and the forward; inside one it records a
// finding with a symbolised backtrace and asks the run to stop. Inside a
// step the sleep family returns at once, and poll/select/epoll_wait poll
// without waiting (waiting would only slow the test down); I/O calls still
// go through. Hooks never throw: libc's callers are C.
#include <simloop/allow_blocking.hpp>
#include <simloop/detail/scheduler.hpp>
#include <simloop/detail/spawn_site.hpp>
#include <simloop/detail/task_report.hpp>

#include <fmt/format.h>

#include <dlfcn.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>

namespace simloop {

namespace {
thread_local int tl_allow_blocking = 0;
thread_local bool tl_in_hook = false;
}  // namespace

allow_blocking::allow_blocking() noexcept { ++tl_allow_blocking; }
allow_blocking::~allow_blocking() { --tl_allow_blocking; }

}  // namespace simloop

namespace simloop::detail {

void link_blocking_hooks() noexcept {}

namespace {

// The scheduler to report to, or null: outside any step, detector off,
// allowed, or already reporting (formatting and symbolising make libc calls
// too).
scheduler* reporting_scheduler() noexcept {
  scheduler* s = current_scheduler();
  if (!s || !s->in_step() || tl_in_hook || tl_allow_blocking > 0) return nullptr;
  if (!s->opts().detect_blocking_calls || s->tearing_down()) return nullptr;
  return s;
}

// Records the finding (the first of a run: later ones happen while it is
// stopping); true if the call blocks inside a step, whether recorded or not.
bool report(const char* call, const std::string& args) noexcept {
  scheduler* s = reporting_scheduler();
  if (!s) return false;
  if (s->stopping()) return true;
  tl_in_hook = true;
  int saved_errno = errno;
  try {
    void* frames[40];
    // Skip this function and the hook.
    int n = capture_return_addresses(frames, 40);
    int skip = n > 2 ? 2 : 0;
    int shown = n - skip > 14 ? 14 : n - skip;
    s->add_finding(finding_kind::blocking_call,
                   fmt::format("blocking call: {}({}) inside a simulated step", call, args),
                   fmt::format("{}"
                               "  call:       {} blocks the thread, so every task of the simulation stops\n"
                               "  backtrace:\n{}"
                               "  fix:        co_await an asynchronous equivalent (simloop::sleep_for, a "
                               "simloop::timer, an async socket operation); code that must block can run "
                               "inside a simloop::allow_blocking scope\n",
                               describe_task(*s, s->current_lane(), 0, false), call,
                               format_backtrace(frames + skip, shown)));
    s->request_stop();
  } catch (...) {
  }
  errno = saved_errno;
  tl_in_hook = false;
  return true;
}

// The real function, looked up once (a benign race: every thread finds the
// same address).
#define SIMLOOP_DETAIL_REAL(name)                                                \
  static std::atomic<void*> real_fn{nullptr};                                    \
  void* raw = real_fn.load(std::memory_order_relaxed);                           \
  if (!raw) {                                                                    \
    raw = dlsym(RTLD_NEXT, #name);                                               \
    real_fn.store(raw, std::memory_order_relaxed);                               \
  }                                                                              \
  auto fn = reinterpret_cast<decltype(&::name)>(raw);

std::string duration_text(const timespec* t) {
  if (!t) return "null";
  return fmt::format("{:.3f}s", static_cast<double>(t->tv_sec) + static_cast<double>(t->tv_nsec) / 1e9);
}

// A read/accept/connect on this descriptor would wait: a blocking socket,
// pipe or terminal. Regular files (disk reads) are not reported.
bool would_block(int fd, bool sockets_only) noexcept {
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || (flags & O_NONBLOCK)) return false;
  struct stat st;
  if (fstat(fd, &st) != 0) return false;
  if (S_ISSOCK(st.st_mode)) return true;
  return !sockets_only && (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode)) && fd > 2;
}

}  // namespace

}  // namespace simloop::detail

using simloop::detail::duration_text;
using simloop::detail::report;
using simloop::detail::reporting_scheduler;
using simloop::detail::would_block;

extern "C" {

unsigned int sleep(unsigned int seconds) {
  if (seconds && reporting_scheduler() && report("sleep", fmt::format("{}", seconds))) return 0;
  SIMLOOP_DETAIL_REAL(sleep)
  return fn(seconds);
}

int usleep(useconds_t usec) {
  if (usec && reporting_scheduler() && report("usleep", fmt::format("{}", usec))) return 0;
  SIMLOOP_DETAIL_REAL(usleep)
  return fn(usec);
}

int nanosleep(const struct timespec* req, struct timespec* rem) {
  if (reporting_scheduler() && report("nanosleep", duration_text(req))) return 0;
  SIMLOOP_DETAIL_REAL(nanosleep)
  return fn(req, rem);
}

int __nanosleep(const struct timespec* req, struct timespec* rem) {
  if (reporting_scheduler() && report("__nanosleep", duration_text(req))) return 0;
  SIMLOOP_DETAIL_REAL(nanosleep)
  return fn(req, rem);
}

int clock_nanosleep(clockid_t clock, int flags, const struct timespec* req, struct timespec* rem) {
  if (reporting_scheduler() && report("clock_nanosleep", duration_text(req))) return 0;
  SIMLOOP_DETAIL_REAL(clock_nanosleep)
  return fn(clock, flags, req, rem);
}

int poll(struct pollfd* fds, nfds_t n, int timeout) {
  if (timeout != 0 && reporting_scheduler() && report("poll", fmt::format("{} fd(s), timeout {}ms", n, timeout))) {
    // Report, then behave as a non-blocking poll.
    SIMLOOP_DETAIL_REAL(poll)
    return fn(fds, n, 0);
  }
  SIMLOOP_DETAIL_REAL(poll)
  return fn(fds, n, timeout);
}

int ppoll(struct pollfd* fds, nfds_t n, const struct timespec* timeout, const sigset_t* mask) {
  bool blocks = !timeout || timeout->tv_sec || timeout->tv_nsec;
  SIMLOOP_DETAIL_REAL(ppoll)
  if (blocks && reporting_scheduler() && report("ppoll", fmt::format("{} fd(s), timeout {}", n, duration_text(timeout)))) {
    struct timespec zero {};
    return fn(fds, n, &zero, mask);
  }
  return fn(fds, n, timeout, mask);
}

int select(int n, fd_set* r, fd_set* w, fd_set* e, struct timeval* timeout) {
  bool blocks = !timeout || timeout->tv_sec || timeout->tv_usec;
  SIMLOOP_DETAIL_REAL(select)
  if (blocks && reporting_scheduler() && report("select", fmt::format("{} fd(s)", n))) {
    struct timeval zero {};
    return fn(n, r, w, e, &zero);
  }
  return fn(n, r, w, e, timeout);
}

int pselect(int n, fd_set* r, fd_set* w, fd_set* e, const struct timespec* timeout, const sigset_t* mask) {
  bool blocks = !timeout || timeout->tv_sec || timeout->tv_nsec;
  SIMLOOP_DETAIL_REAL(pselect)
  if (blocks && reporting_scheduler() && report("pselect", fmt::format("{} fd(s), timeout {}", n, duration_text(timeout)))) {
    struct timespec zero {};
    return fn(n, r, w, e, &zero, mask);
  }
  return fn(n, r, w, e, timeout, mask);
}

int epoll_wait(int epfd, struct epoll_event* events, int max, int timeout) {
  SIMLOOP_DETAIL_REAL(epoll_wait)
  if (timeout != 0 && reporting_scheduler() && report("epoll_wait", fmt::format("timeout {}ms", timeout)))
    return fn(epfd, events, max, 0);
  return fn(epfd, events, max, timeout);
}

int epoll_pwait(int epfd, struct epoll_event* events, int max, int timeout, const sigset_t* mask) {
  SIMLOOP_DETAIL_REAL(epoll_pwait)
  if (timeout != 0 && reporting_scheduler() && report("epoll_pwait", fmt::format("timeout {}ms", timeout)))
    return fn(epfd, events, max, 0, mask);
  return fn(epfd, events, max, timeout, mask);
}

int connect(int fd, const struct sockaddr* addr, socklen_t len) {
  if (reporting_scheduler() && would_block(fd, true)) report("connect", fmt::format("fd {}, a blocking socket", fd));
  SIMLOOP_DETAIL_REAL(connect)
  return fn(fd, addr, len);
}

int accept(int fd, struct sockaddr* addr, socklen_t* len) {
  if (reporting_scheduler() && would_block(fd, true)) report("accept", fmt::format("fd {}, a blocking socket", fd));
  SIMLOOP_DETAIL_REAL(accept)
  return fn(fd, addr, len);
}

int accept4(int fd, struct sockaddr* addr, socklen_t* len, int flags) {
  if (reporting_scheduler() && would_block(fd, true)) report("accept4", fmt::format("fd {}, a blocking socket", fd));
  SIMLOOP_DETAIL_REAL(accept4)
  return fn(fd, addr, len, flags);
}

ssize_t recv(int fd, void* buf, size_t n, int flags) {
  if (!(flags & MSG_DONTWAIT) && reporting_scheduler() && would_block(fd, true))
    report("recv", fmt::format("fd {}, a blocking socket", fd));
  SIMLOOP_DETAIL_REAL(recv)
  return fn(fd, buf, n, flags);
}

ssize_t recvfrom(int fd, void* buf, size_t n, int flags, struct sockaddr* addr, socklen_t* len) {
  if (!(flags & MSG_DONTWAIT) && reporting_scheduler() && would_block(fd, true))
    report("recvfrom", fmt::format("fd {}, a blocking socket", fd));
  SIMLOOP_DETAIL_REAL(recvfrom)
  return fn(fd, buf, n, flags, addr, len);
}

ssize_t recvmsg(int fd, struct msghdr* msg, int flags) {
  if (!(flags & MSG_DONTWAIT) && reporting_scheduler() && would_block(fd, true))
    report("recvmsg", fmt::format("fd {}, a blocking socket", fd));
  SIMLOOP_DETAIL_REAL(recvmsg)
  return fn(fd, msg, flags);
}

ssize_t read(int fd, void* buf, size_t n) {
  if (reporting_scheduler() && would_block(fd, false))
    report("read", fmt::format("fd {}, a blocking socket, pipe or terminal", fd));
  SIMLOOP_DETAIL_REAL(read)
  return fn(fd, buf, n);
}

ssize_t send(int fd, const void* buf, size_t n, int flags) {
  if (!(flags & MSG_DONTWAIT) && reporting_scheduler() && would_block(fd, true))
    report("send", fmt::format("fd {}, a blocking socket", fd));
  SIMLOOP_DETAIL_REAL(send)
  return fn(fd, buf, n, flags);
}

ssize_t write(int fd, const void* buf, size_t n) {
  // Pipes and terminals are left alone: tests print from coroutines.
  if (reporting_scheduler() && would_block(fd, true)) report("write", fmt::format("fd {}, a blocking socket", fd));
  SIMLOOP_DETAIL_REAL(write)
  return fn(fd, buf, n);
}

int getaddrinfo(const char* node, const char* service, const struct addrinfo* hints, struct addrinfo** res) {
  if (reporting_scheduler())
    report("getaddrinfo", fmt::format("\"{}\", \"{}\"", node ? node : "", service ? service : ""));
  SIMLOOP_DETAIL_REAL(getaddrinfo)
  return fn(node, service, hints, res);
}

struct hostent* gethostbyname(const char* name) {
  if (reporting_scheduler()) report("gethostbyname", fmt::format("\"{}\"", name ? name : ""));
  SIMLOOP_DETAIL_REAL(gethostbyname)
  return fn(name);
}

}  // extern "C"
