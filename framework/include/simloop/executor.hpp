// simloop/executor.hpp: the simulation's standard Asio executor.
#pragma once

#include <boost/asio/execution.hpp>
#include <boost/asio/execution_context.hpp>

#include <cstdint>
#include <memory>
#include <type_traits>

namespace simloop {

class simulation;
namespace detail {
class scheduler;
}

// Modelled on io_context::basic_executor_type: execute() plus the properties
// query/require/prefer for context, blocking, relationship, outstanding_work,
// allocator and mapping. 16 bytes (a pointer and a word of bits), so it sits
// in any_io_executor's inline buffer without allocating.
//
// The bits hold the blocking property and the task lane: the lane is the id
// of the task whose handlers this executor submits. simloop gives each
// co_spawned coroutine its own lane (see detail/task_frame.hpp); an executor
// with lane 0 attributes its work to the task whose step submits it.
class executor {
 public:
  explicit executor(simulation& sim) noexcept;

  executor(const executor&) noexcept = default;
  executor& operator=(const executor&) noexcept = default;

  // ---- queries ----
  simulation& query(boost::asio::execution::context_t) const noexcept { return *sim_; }
  static constexpr boost::asio::execution::mapping_t query(
      boost::asio::execution::mapping_t) noexcept {
    return boost::asio::execution::mapping.thread;
  }
  constexpr boost::asio::execution::blocking_t query(
      boost::asio::execution::blocking_t) const noexcept {
    return (bits_ & blocking_never) ? boost::asio::execution::blocking_t(boost::asio::execution::blocking.never)
                                    : boost::asio::execution::blocking_t(boost::asio::execution::blocking.possibly);
  }
  constexpr boost::asio::execution::relationship_t query(
      boost::asio::execution::relationship_t) const noexcept {
    return (bits_ & relationship_continuation)
               ? boost::asio::execution::relationship_t(boost::asio::execution::relationship.continuation)
               : boost::asio::execution::relationship_t(boost::asio::execution::relationship.fork);
  }
  constexpr boost::asio::execution::outstanding_work_t query(
      boost::asio::execution::outstanding_work_t) const noexcept {
    return (bits_ & work_tracked)
               ? boost::asio::execution::outstanding_work_t(boost::asio::execution::outstanding_work.tracked)
               : boost::asio::execution::outstanding_work_t(boost::asio::execution::outstanding_work.untracked);
  }
  template <class OtherAllocator>
  constexpr std::allocator<void> query(
      boost::asio::execution::allocator_t<OtherAllocator>) const noexcept {
    return std::allocator<void>();
  }
  constexpr std::allocator<void> query(boost::asio::execution::allocator_t<void>) const noexcept {
    return std::allocator<void>();
  }

  // ---- require / prefer ----
  executor require(boost::asio::execution::blocking_t::possibly_t) const noexcept {
    return with(bits_ & ~blocking_never);
  }
  executor require(boost::asio::execution::blocking_t::never_t) const noexcept {
    return with(bits_ | blocking_never);
  }
  executor require(boost::asio::execution::relationship_t::fork_t) const noexcept {
    return with(bits_ & ~relationship_continuation);
  }
  executor require(boost::asio::execution::relationship_t::continuation_t) const noexcept {
    return with(bits_ | relationship_continuation);
  }
  // Work counting does not decide when a simulation stops (the body and the
  // ready set do), so tracked/untracked is kept only to answer the query.
  executor require(boost::asio::execution::outstanding_work_t::tracked_t) const noexcept {
    return with(bits_ | work_tracked);
  }
  executor require(boost::asio::execution::outstanding_work_t::untracked_t) const noexcept {
    return with(bits_ & ~work_tracked);
  }
  // Operations are recycled by the simulation's own pool; a requested
  // allocator is accepted and not used.
  template <class OtherAllocator>
  executor require(boost::asio::execution::allocator_t<OtherAllocator>) const noexcept {
    return *this;
  }

  template <class F>
  void execute(F&& f) const;

  friend bool operator==(const executor& a, const executor& b) noexcept {
    return a.sim_ == b.sim_ && (a.bits_ & flag_mask) == (b.bits_ & flag_mask);
  }
  friend bool operator!=(const executor& a, const executor& b) noexcept { return !(a == b); }

  // ---- simloop's own ----
  simulation& context() const noexcept { return *sim_; }
  std::uint32_t lane() const noexcept { return static_cast<std::uint32_t>(bits_ >> 32); }
  executor with_lane(std::uint32_t lane) const noexcept {
    return with((bits_ & flag_mask) | (std::uint64_t{lane} << 32));
  }
  // The simulated host the executor belongs to (0: none; see net::host).
  std::uint32_t host() const noexcept { return static_cast<std::uint32_t>((bits_ & host_mask) >> host_shift); }
  executor with_host(std::uint32_t host) const noexcept {
    return with((bits_ & ~host_mask) | ((std::uint64_t{host} << host_shift) & host_mask));
  }
  // True while a step of this executor's simulation runs on this thread.
  bool running_in_this_thread() const noexcept;

 private:
  static constexpr std::uint64_t blocking_never = 1;
  static constexpr std::uint64_t relationship_continuation = 2;
  static constexpr std::uint64_t work_tracked = 4;
  static constexpr std::uint64_t flag_mask = 0xffffffffULL;
  static constexpr unsigned host_shift = 8;
  static constexpr std::uint64_t host_mask = 0xffffff00ULL;

  executor(simulation* sim, std::uint64_t bits) noexcept : sim_(sim), bits_(bits) {}
  executor with(std::uint64_t bits) const noexcept { return executor(sim_, bits); }
  detail::scheduler& sched() const noexcept;

  simulation* sim_;
  std::uint64_t bits_;
};

static_assert(sizeof(executor) == 16);

}  // namespace simloop
