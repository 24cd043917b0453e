// simloop/error.hpp: error codes simloop's operations complete with.
#pragma once

#include <boost/system/error_code.hpp>

#include <type_traits>

namespace simloop::error {

enum errc {
  timed_out = 1,  // simloop::timeout's deadline passed before the operation
};

const boost::system::error_category& category() noexcept;

inline boost::system::error_code make_error_code(errc e) noexcept {
  return boost::system::error_code(static_cast<int>(e), category());
}

}  // namespace simloop::error

namespace boost::system {
template <>
struct is_error_code_enum<simloop::error::errc> : std::true_type {};
}  // namespace boost::system
