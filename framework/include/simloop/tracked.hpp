// simloop/tracked.hpp: a shared value whose accesses the race detector sees.
#pragma once

#include <simloop/detail/access_log.hpp>

#include <utility>

namespace simloop {

// A value shared between tasks. Converting it to T is a read, assigning a T
// is a write; inside a simulation each access is recorded with its task,
// step and site, and the race detector (options::detect_races) reports a task
// that reads it, suspends, and writes it back while another task's write is
// unordered with those accesses by happens-before. Outside a simulation it is
// a plain T.
//
//   simloop::tracked<int> counter{0, "counter"};
//   int seen = counter;       // read
//   co_await simloop::yield();
//   counter = seen + 1;       // write: a lost update if another task wrote in between
//
// Sites: read() and write() name their caller's file:line exactly. The
// operators cannot take default arguments, so they record their return
// address, which a finding symbolises (addr2line) to file:line when the
// binary has debug information, else to function+offset.
template <class T>
class tracked {
 public:
  tracked() = default;
  explicit tracked(T value, const char* label = nullptr) : value_(std::move(value)), label_(label) {}
  tracked(const tracked&) = delete;
  tracked& operator=(const tracked&) = delete;
  ~tracked() { detail::forget_variable(this); }

  // Not inlined, so that the return address is the caller's.
  [[gnu::noinline]] operator T() const {
    detail::record_access(this, label_, detail::access_kind::read, {nullptr, 0, __builtin_return_address(0)});
    return value_;
  }

  T read(const char* file = __builtin_FILE(), int line = __builtin_LINE()) const {
    detail::record_access(this, label_, detail::access_kind::read, {file, line, nullptr});
    return value_;
  }

  [[gnu::noinline]] tracked& operator=(T value) {
    detail::record_access(this, label_, detail::access_kind::write, {nullptr, 0, __builtin_return_address(0)});
    value_ = std::move(value);
    return *this;
  }

  void write(T value, const char* file = __builtin_FILE(), int line = __builtin_LINE()) {
    detail::record_access(this, label_, detail::access_kind::write, {file, line, nullptr});
    value_ = std::move(value);
  }

  // The value without recording an access (for final checks in tests).
  const T& peek() const noexcept { return value_; }
  const char* label() const noexcept { return label_; }

 private:
  T value_{};
  const char* label_ = nullptr;
};

}  // namespace simloop
