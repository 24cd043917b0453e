#include <simloop/detail/worker_pool.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <thread>

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace simloop::detail {

namespace {

// Parent to worker: run [begin, end). End of stream: exit.
struct chunk_message {
  std::uint64_t begin;
  std::uint64_t end;
};

// Worker to parent: the chunk starting at `begin` stopped before `stop`
// (failed == 0: it ran to its end, stop == end) or failed at `stop`.
struct result_message {
  std::uint64_t begin;
  std::uint64_t stop;
  std::uint64_t failed;
};

// Whole messages over a stream socket. MSG_NOSIGNAL: a dead peer is an
// error, not a SIGPIPE that kills the exploration.
bool send_all(int fd, const void* data, std::size_t size) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t n = ::send(fd, p, size, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

// False on end of stream or error (the peer died or closed).
bool receive_all(int fd, void* data, std::size_t size) {
  char* p = static_cast<char*>(data);
  while (size > 0) {
    ssize_t n = ::recv(fd, p, size, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

[[noreturn]] void worker_main(int fd, const std::function<bool(std::uint64_t)>& failed) {
  int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null >= 0) {
    ::dup2(null, STDOUT_FILENO);
    ::dup2(null, STDERR_FILENO);
    ::close(null);
  }
  try {
    chunk_message c{};
    while (receive_all(fd, &c, sizeof c)) {
      result_message r{c.begin, c.end, 0};
      for (std::uint64_t i = c.begin; i < c.end; ++i) {
        if (failed(i)) {
          r.stop = i;
          r.failed = 1;
          break;
        }
      }
      if (!send_all(fd, &r, sizeof r)) ::_exit(1);
    }
  } catch (...) {
    // The parent sees the chunk unfinished and runs it itself, where the
    // exception reaches the caller as it would in a serial exploration.
    ::_exit(2);
  }
  ::_exit(0);
}

struct worker {
  pid_t pid;
  int fd;
  bool busy = false;
  std::pair<std::uint64_t, std::uint64_t> chunk{};
  std::chrono::steady_clock::time_point sent{};  // when the chunk was handed out
};

void reap(worker& w) {
  ::close(w.fd);
  w.fd = -1;
  int status = 0;
  while (::waitpid(w.pid, &status, 0) < 0 && errno == EINTR) {
  }
}

}  // namespace

pool_result run_in_workers(std::uint64_t count, unsigned jobs, const std::function<bool(std::uint64_t)>& failed,
                           const std::function<void(std::uint64_t)>& progress) {
  pool_result out;
  if (count == 0 || jobs == 0) return out;
  // Small chunks bound the runs made past the first failure (at most one
  // chunk per worker) and keep workers evenly loaded. A chunk that comes
  // back within target_chunk_time doubles the size of the next ones, up to
  // an eighth of a worker's share: runs of a microsecond or two (64 of them
  // took 0.1 ms, against tens of microseconds of messages and wake-ups per
  // chunk) then go in chunks of a few milliseconds. Which runs are made, and
  // so the result, does not depend on the sizes.
  std::uint64_t chunk = std::clamp<std::uint64_t>(count / (std::uint64_t{jobs} * 32), 1, 64);
  const std::uint64_t max_chunk = std::max<std::uint64_t>(chunk, count / (std::uint64_t{jobs} * 8));
  constexpr auto target_chunk_time = std::chrono::milliseconds(2);
  // Nothing buffered in stdio is inherited and printed twice.
  std::fflush(nullptr);
  std::vector<worker> workers;
  for (unsigned i = 0; i < jobs && i < count; ++i) {
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) break;
    pid_t pid = ::fork();
    if (pid < 0) {
      ::close(fds[0]);
      ::close(fds[1]);
      break;
    }
    if (pid == 0) {
      // Only its own socket: a worker holding another's would keep that one
      // from seeing its parent close it, and the parent from seeing it die.
      ::close(fds[0]);
      for (const worker& w : workers) ::close(w.fd);
      worker_main(fds[1], failed);
    }
    ::close(fds[1]);
    workers.push_back(worker{pid, fds[0]});
  }
  if (workers.empty()) return out;
  out.started = true;

  std::uint64_t next = 0;          // the first index not handed out yet
  std::uint64_t lowest = count;    // the lowest failing index known
  std::uint64_t finished = 0;      // runs made, for progress
  std::vector<std::pair<std::uint64_t, std::uint64_t>> lost;
  // Gives w the next chunk, or ends it when there is none below `lowest`.
  auto hand_out = [&](worker& w) {
    if (next < lowest) {
      chunk_message c{next, std::min(next + chunk, lowest)};
      if (send_all(w.fd, &c, sizeof c)) {
        w.busy = true;
        w.chunk = {c.begin, c.end};
        w.sent = std::chrono::steady_clock::now();
        next = c.end;
        return;
      }
    }
    // No work left, or w is gone (the chunk stays with the next worker).
    reap(w);
  };
  for (worker& w : workers) hand_out(w);
  std::vector<pollfd> fds;
  std::vector<worker*> polled;
  for (;;) {
    fds.clear();
    polled.clear();
    for (worker& w : workers) {
      if (w.fd < 0) continue;
      fds.push_back(pollfd{w.fd, POLLIN, 0});
      polled.push_back(&w);
    }
    if (fds.empty()) break;
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      // Cannot wait on the workers: end them; what they held is unfinished.
      for (worker* w : polled) {
        ::kill(w->pid, SIGKILL);
        if (w->busy) lost.push_back(w->chunk);
        reap(*w);
      }
      break;
    }
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].revents == 0) continue;
      worker& w = *polled[i];
      result_message r{};
      if (!receive_all(w.fd, &r, sizeof r)) {
        // Died holding its chunk.
        if (w.busy) lost.push_back(w.chunk);
        reap(w);
        continue;
      }
      w.busy = false;
      if (!r.failed && r.stop - r.begin == chunk && chunk < max_chunk &&
          std::chrono::steady_clock::now() - w.sent < target_chunk_time)
        chunk = std::min(chunk * 2, max_chunk);
      finished += (r.failed ? r.stop + 1 : r.stop) - r.begin;
      if (r.failed) lowest = std::min(lowest, r.stop);
      progress(finished);
      hand_out(w);
    }
  }
  if (lowest < count) out.first_failure = lowest;
  std::sort(lost.begin(), lost.end());
  // Every worker died before all was handed out: the rest is unfinished too.
  if (next < lowest) lost.emplace_back(next, lowest);
  for (auto [begin, end] : lost)
    if (begin < lowest) out.unfinished.emplace_back(begin, std::min(end, lowest));
  return out;
}

unsigned available_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof set, &set) == 0) {
    int n = CPU_COUNT(&set);
    if (n > 0) return static_cast<unsigned>(n);
  }
  return std::max(1u, std::thread::hardware_concurrency());
}

bool can_fork_workers() {
#if defined(__linux__)
  std::error_code ec;
  std::size_t threads = 0;
  for (std::filesystem::directory_iterator it("/proc/self/task", ec), end; !ec && it != end; it.increment(ec))
    ++threads;
  return !ec && threads == 1;
#else
  return false;
#endif
}

}  // namespace simloop::detail
