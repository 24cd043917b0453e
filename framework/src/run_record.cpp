#include <simloop/detail/run_record.hpp>

#include <atomic>
#include <cerrno>
#include <cstdint>

#if defined(__linux__)
#include <sys/mman.h>
#include <unistd.h>
#endif

namespace simloop::detail {

bool map_ahead(void* p, std::size_t n) noexcept {
#if defined(__linux__) && defined(MADV_POPULATE_WRITE)
  // A kernel without it says EINVAL once; then no more calls.
  static std::atomic<bool> unsupported{false};
  static const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
  if (unsupported.load(std::memory_order_relaxed)) return false;
  auto b = reinterpret_cast<std::uintptr_t>(p);
  auto e = b + n;
  b = (b + page - 1) & ~(page - 1);
  e &= ~(page - 1);
  if (e <= b) return true;
  if (::madvise(reinterpret_cast<void*>(b), e - b, MADV_POPULATE_WRITE) == 0) return true;
  if (errno == EINVAL) unsupported.store(true, std::memory_order_relaxed);
  return false;
#else
  (void)p;
  (void)n;
  return false;
#endif
}

}  // namespace simloop::detail
