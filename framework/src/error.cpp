#include <simloop/error.hpp>

#include <string>

namespace simloop::error {

namespace {
class simloop_category final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "simloop"; }
  std::string message(int ev) const override {
    switch (ev) {
      case timed_out: return "operation timed out";
      default: return "unknown simloop error";
    }
  }
};
}  // namespace

const boost::system::error_category& category() noexcept {
  static const simloop_category instance;
  return instance;
}

}  // namespace simloop::error
