// simloop/detail/timer_executor.hpp: a timer's executor and scheduler, kept small.
#pragma once

#include <simloop/executor.hpp>
#include <simloop/simulation.hpp>

#include <boost/asio/any_io_executor.hpp>

#include <array>
#include <bit>
#include <cstdint>
#include <memory>
#include <utility>

namespace simloop::detail {

[[noreturn]] void throw_timer_without_simulation();

// What a timer keeps of the executor it was made with: the executor itself
// (get_executor() answers it) and the simulation's scheduler. In general both
// are stored.
template <class Executor>
class timer_executor {
 public:
  explicit timer_executor(const Executor& ex) : ex_(ex) {
    simulation* sim = find_simulation(ex_);
    if (!sim) throw_timer_without_simulation();
    sched_ = &sim->scheduler();
  }
  Executor get() const noexcept { return ex_; }
  scheduler& sched() const noexcept { return *sched_; }

 private:
  Executor ex_;
  scheduler* sched_;
};

// simloop::timer's own case: an any_io_executor, almost always wrapping a
// simulation's simloop::executor. That one is kept as its 16 bytes (the
// scheduler is the simulation's member) instead of 56 + 8: a timer lives in
// its coroutine's frame, and a million suspended tasks each have one. Any
// other target (a strand, ...) is boxed on the heap with its scheduler;
// the first word is then null (a simloop::executor's simulation never is).
template <>
class timer_executor<boost::asio::any_io_executor> {
 public:
  explicit timer_executor(const boost::asio::any_io_executor& ex) {
    if (const executor* e = ex.target<executor>()) {
      words_ = std::bit_cast<words>(*e);
      return;
    }
    simulation* sim = find_simulation(ex);
    if (!sim) throw_timer_without_simulation();
    words_ = {0, reinterpret_cast<std::uintptr_t>(new boxed{ex, &sim->scheduler()})};
  }
  timer_executor(timer_executor&& other) noexcept : words_(std::exchange(other.words_, words{})) {}
  timer_executor& operator=(timer_executor&& other) noexcept {
    if (this != &other) {
      release();
      words_ = std::exchange(other.words_, words{});
    }
    return *this;
  }
  ~timer_executor() { release(); }

  // Null only after a move.
  boost::asio::any_io_executor get() const noexcept {
    if (words_[0] != 0) return boost::asio::any_io_executor(simloop_executor());
    if (const boxed* b = box()) return b->ex;
    return boost::asio::any_io_executor();
  }
  scheduler& sched() const noexcept {
    if (words_[0] != 0) return simloop_executor().context().scheduler();
    return *box()->sched;
  }

 private:
  using words = std::array<std::uintptr_t, 2>;
  static_assert(sizeof(executor) == sizeof(words) && std::is_trivially_copyable_v<executor>);
  struct boxed {
    boost::asio::any_io_executor ex;
    scheduler* sched;
  };

  executor simloop_executor() const noexcept { return std::bit_cast<executor>(words_); }
  boxed* box() const noexcept { return words_[0] == 0 ? reinterpret_cast<boxed*>(words_[1]) : nullptr; }
  void release() noexcept {
    delete box();
    words_ = {};
  }

  words words_{};
};

}  // namespace simloop::detail
