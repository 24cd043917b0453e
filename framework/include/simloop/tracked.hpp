// simloop/tracked.hpp: a shared value whose accesses the race detector sees.
#pragma once

#include <simloop/detail/access_log.hpp>

#include <utility>

namespace simloop {

// A value shared between tasks. Converting it to T is a read, assigning a T
// is a write; inside a simulation each access is recorded with its task,
// step and site. Outside a simulation it is a plain T.
//
//   simloop::tracked<int> counter{0, "counter"};
//   int seen = counter;       // read
//   co_await simloop::yield();
//   counter = seen + 1;       // write: a lost update if another task wrote in between
template <class T>
class tracked {
 public:
  tracked() = default;
  explicit tracked(T value, const char* label = nullptr) : value_(std::move(value)), label_(label) {}
  tracked(const tracked&) = delete;
  tracked& operator=(const tracked&) = delete;

  operator T() const { return read(); }

  T read(const char* file = __builtin_FILE(), int line = __builtin_LINE()) const {
    detail::record_access(this, label_, detail::access_kind::read, file, line);
    return value_;
  }

  tracked& operator=(T value) {
    write(std::move(value));
    return *this;
  }

  void write(T value, const char* file = __builtin_FILE(), int line = __builtin_LINE()) {
    detail::record_access(this, label_, detail::access_kind::write, file, line);
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
