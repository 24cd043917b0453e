// simloop/allow_blocking.hpp: intentional blocking inside a simulated step.
#pragma once

namespace simloop {

// While one of these lives on the thread, blocking libc calls made inside
// simulated steps are not reported (the blocking_call detector, see
// options::detect_blocking_calls). For code that blocks on purpose, e.g. a
// test reading a fixture file through a blocking pipe:
//
//   { simloop::allow_blocking allow; load_fixture(); }
//
// Scoped to the thread, not to a task: do not keep one across a co_await
// (another task's step would run with blocking allowed).
class allow_blocking {
 public:
  allow_blocking() noexcept;
  ~allow_blocking();
  allow_blocking(const allow_blocking&) = delete;
  allow_blocking& operator=(const allow_blocking&) = delete;
};

}  // namespace simloop
