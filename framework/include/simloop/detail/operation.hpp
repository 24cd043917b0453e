// simloop/detail/operation.hpp: a type-erased step, the unit of the ready set.
#pragma once

#include <cstddef>
#include <cstdint>

#include <simloop/detail/op_pool.hpp>

namespace simloop::detail {

// Like Asio's scheduler_operation: one function pointer instead of a vtable.
// complete_(op, true) runs the handler and frees the op; complete_(op, false)
// only destroys it (teardown). Either way the op is gone afterwards.
struct operation {
  using complete_fn = void (*)(operation*, bool invoke);

  explicit operation(complete_fn f) noexcept : complete_(f) {}

  void complete() { complete_(this, true); }
  void destroy() noexcept { complete_(this, false); }

  complete_fn complete_;
  // The task lane the step belongs to (0: outside every task).
  std::uint32_t lane_ = 0;
  // Bookkeeping for the queue that holds the op: its ready-set position,
  // or its timer-queue chunk and lane.
  std::uint32_t aux_ = 0;
  // The step that submitted this op: the causal parent, for happens-before.
  std::uint64_t parent_step_ = 0;
  // Where the op's memory goes back to.
  op_pool* pool_ = nullptr;
};

}  // namespace simloop::detail
