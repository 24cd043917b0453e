// simloop/impl/executor.hpp: executor members that need the simulation.
#pragma once

#include <simloop/detail/simulation_service.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/query.hpp>

namespace simloop {

inline executor::executor(simulation& sim) noexcept : sim_(&sim), bits_(0) {}

inline detail::scheduler& executor::sched() const noexcept { return sim_->scheduler(); }

inline bool executor::running_in_this_thread() const noexcept { return sched().in_step(); }

template <class F>
void executor::execute(F&& f) const {
  sched().execute(std::forward<F>(f), !(bits_ & blocking_never), lane());
}

template <class Executor>
simulation* find_simulation(const Executor& ex) noexcept {
  if constexpr (std::is_same_v<Executor, executor>) {
    return &ex.context();
  } else {
    if constexpr (std::is_same_v<Executor, asio::any_io_executor>) {
      if (const executor* e = ex.template target<executor>()) return &e->context();
    }
    if constexpr (asio::can_query<const Executor&, asio::execution::context_as_t<asio::execution_context&>>::value) {
      asio::execution_context& ctx = asio::query(ex, asio::execution::context_as<asio::execution_context&>);
      return detail::simulation_of(ctx);
    } else {
      return nullptr;
    }
  }
}

}  // namespace simloop
