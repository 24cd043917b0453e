// A run's record keeps every entry in order, hands them over whole, and maps
// the pages ahead of its writes a window at a time: never more than one
// window beyond the last entry, and the window really is mapped (mincore).
// A record starts as long as the thread's last one of its type.
#include <simloop/detail/run_record.hpp>

#include <gtest/gtest.h>

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <vector>

namespace {

using simloop::detail::map_ahead;
using simloop::detail::run_record;
using simloop::detail::step_budget;

// Pages wholly inside [b, e) that are not resident.
std::size_t pages_not_resident(const void* b, const void* e) {
  const std::uintptr_t page = static_cast<std::uintptr_t>(sysconf(_SC_PAGESIZE));
  std::uintptr_t lo = (reinterpret_cast<std::uintptr_t>(b) + page - 1) & ~(page - 1);
  std::uintptr_t hi = reinterpret_cast<std::uintptr_t>(e) & ~(page - 1);
  if (hi <= lo) return 0;
  std::vector<unsigned char> resident((hi - lo) / page);
  if (mincore(reinterpret_cast<void*>(lo), hi - lo, resident.data()) != 0) return resident.size();
  std::size_t missing = 0;
  for (unsigned char r : resident) missing += (r & 1) == 0;
  return missing;
}

bool kernel_maps_ahead() {
  std::vector<char> probe(1 << 20);
  return map_ahead(probe.data(), probe.size());
}

TEST(RunRecord, KeepsEveryEntryInOrderAndHandsThemOverWhole) {
  step_budget unmeasured(0);
  run_record<std::uint32_t> r;
  constexpr std::uint32_t n = 3'000'000;  // 12 MB: a dozen doublings, many windows
  for (std::uint32_t i = 0; i < n; ++i) {
    r.push_back(i * 2654435761u, unmeasured);
    ASSERT_LE(r.size(), r.mapped_end());
    ASSERT_LE(r.mapped_end(), r.capacity());
  }
  std::vector<std::uint32_t> taken = r.take();
  ASSERT_EQ(taken.size(), n);
  for (std::uint32_t i = 0; i < n; ++i) ASSERT_EQ(taken[i], i * 2654435761u) << "entry " << i;
  EXPECT_EQ(r.size(), 0u);
  EXPECT_EQ(r.mapped_end(), 0u);
  // An emptied record records again from the start.
  r.push_back(7, unmeasured);
  EXPECT_EQ(r.take(), std::vector<std::uint32_t>{7});
}

// Forgets the length of this thread's last record of type T (other tests
// run simulations on this thread).
template <class T>
void forget_last_length() {
  run_record<T>{}.take();
}

TEST(RunRecord, SmallRecordsGrowAsVectorsDo) {
  step_budget unmeasured(0);
  forget_last_length<std::uint64_t>();
  run_record<std::uint64_t> r;
  r.push_back(1, unmeasured);
  EXPECT_EQ(r.capacity(), 32u);
  EXPECT_EQ(r.mapped_end(), 32u);  // below map_from: no window, no system call
  for (int i = 0; i < 32; ++i) r.push_back(1, unmeasured);
  EXPECT_EQ(r.capacity(), 64u);
  EXPECT_EQ(r.mapped_end(), 64u);
}

TEST(RunRecord, MapsOneWindowAheadOfItsWrites) {
  step_budget unmeasured(0);
  run_record<std::uint64_t> r;
  constexpr std::size_t window = run_record<std::uint64_t>::map_window / sizeof(std::uint64_t);
  const bool maps = kernel_maps_ahead();
  std::size_t windows = 0, last_end = 0;
  for (std::size_t i = 0; i < 4'000'000; ++i) {
    r.push_back(i, unmeasured);
    if (r.capacity() * sizeof(std::uint64_t) < run_record<std::uint64_t>::map_from) continue;
    // Never more than one window mapped beyond the last entry.
    ASSERT_LE(r.mapped_end() - r.size(), window) << "after " << r.size() << " entries";
    if (r.mapped_end() != last_end) {
      last_end = r.mapped_end();
      ++windows;
      // The pages ahead are there before the entries are written.
      if (maps) {
        const std::uint64_t* data = r.items().data();
        ASSERT_EQ(pages_not_resident(data + r.size(), data + r.mapped_end()), 0u)
            << "window ending at entry " << r.mapped_end();
      }
    }
  }
  // 32 MB in windows of 256 KiB.
  EXPECT_GE(windows, 4'000'000 / window);
  if (!maps) GTEST_SKIP() << "this kernel cannot map pages ahead (MADV_POPULATE_WRITE): checked the bounds only";
}

TEST(RunRecord, StartsAsLongAsTheThreadsLastRecord) {
  step_budget unmeasured(0);
  forget_last_length<std::uint64_t>();
  run_record<std::uint32_t> first;
  for (std::uint32_t i = 0; i < 100'000; ++i) first.push_back(i, unmeasured);
  (void)first.take();

  // The next one allocates once for as many entries: no doubling, no copy.
  run_record<std::uint32_t> second;
  second.push_back(1, unmeasured);
  const std::size_t reserved = second.capacity();
  EXPECT_GE(reserved, 100'000u);
  for (std::uint32_t i = 1; i < 100'000; ++i) second.push_back(i, unmeasured);
  EXPECT_EQ(second.capacity(), reserved);
  (void)second.take();

  // A much shorter record does not hand the long guess to its report.
  run_record<std::uint32_t> short_one;
  for (std::uint32_t i = 0; i < 10; ++i) short_one.push_back(i, unmeasured);
  EXPECT_GE(short_one.capacity(), 100'000u);
  std::vector<std::uint32_t> taken = short_one.take();
  EXPECT_EQ(taken, (std::vector<std::uint32_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
  EXPECT_LT(taken.capacity(), 100u);

  // And the guess follows the last length, down as well as up.
  run_record<std::uint32_t> after_short;
  after_short.push_back(1, unmeasured);
  EXPECT_EQ(after_short.capacity(), 32u);
  // Another record type has its own guess.
  run_record<std::uint64_t> other;
  other.push_back(1, unmeasured);
  EXPECT_EQ(other.capacity(), 32u);
}

}  // namespace
