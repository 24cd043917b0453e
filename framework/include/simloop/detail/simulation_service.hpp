// simloop/detail/simulation_service.hpp: find a simulation from its context.
#pragma once

#include <boost/asio/execution_context.hpp>

namespace simloop {
class simulation;
}

namespace simloop::detail {

// dynamic_cast from execution_context& does not work on every compiler
// (clang: "not polymorphic" through Asio's bases), so a simulation marks
// itself with this service and is found through it.
class simulation_service : public boost::asio::execution_context::service {
 public:
  static inline boost::asio::execution_context::id id;

  // Only a simulation adds this service (with itself); the one-argument form
  // exists because use_service needs it to compile, and finds no simulation.
  explicit simulation_service(boost::asio::execution_context& ctx)
      : boost::asio::execution_context::service(ctx), sim_(nullptr) {}
  simulation_service(boost::asio::execution_context& ctx, simulation* sim)
      : boost::asio::execution_context::service(ctx), sim_(sim) {}
  simulation* sim() const noexcept { return sim_; }

 private:
  void shutdown() override {}
  simulation* sim_;
};

inline simulation* simulation_of(boost::asio::execution_context& ctx) noexcept {
  if (!boost::asio::has_service<simulation_service>(ctx)) return nullptr;
  return boost::asio::use_service<simulation_service>(ctx).sim();
}

}  // namespace simloop::detail
