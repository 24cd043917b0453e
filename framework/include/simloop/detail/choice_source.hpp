// simloop/detail/choice_source.hpp: where a strategy's decisions come from.
#pragma once

#include <simloop/detail/prng.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <utility>
#include <vector>

namespace simloop::detail {

// One stream of decisions, each a number in [0, n). The same strategy reads
// from a seeded PRNG, from a recorded list (replay, RapidCheck), or from raw
// bytes (libFuzzer). For lists and bytes, an exhausted source answers 0, the
// default pick, so a shorter input means fewer deviations from FIFO.
class choice_source {
 public:
  enum class kind : std::uint8_t { seeded, list, bytes };

  static choice_source from_seed(std::uint64_t seed) {
    return choice_source(kind::seeded, seed);
  }
  static choice_source from_list(std::vector<std::uint32_t> list) {
    choice_source s(kind::list, 0);
    s.list_ = std::move(list);
    return s;
  }
  // The bytes must outlive the source.
  static choice_source from_bytes(const std::uint8_t* data, std::size_t size) {
    choice_source s(kind::bytes, 0);
    s.bytes_ = data;
    s.size_ = size;
    return s;
  }

  kind source_kind() const noexcept { return kind_; }

  // A decision in [0, n); n >= 1.
  std::uint64_t choose(std::uint64_t n) {
    if (n <= 1) return 0;
    switch (kind_) {
      case kind::seeded:
        return rng_.below(n);
      case kind::list:
        return pos_ < list_.size() ? list_[pos_++] % n : 0;
      case kind::bytes:
        return take_bytes(n) % n;
    }
    return 0;
  }

  // A decision that is a coin with probability num/den of true.
  bool chance(std::uint64_t num, std::uint64_t den) { return choose(den) < num; }

  // A derived stream for a subsystem's own draws (PCT priorities, network
  // latencies): seeded sources split; list and byte sources share themselves,
  // since every draw must come from the input there.
  prng split_rng() { return kind_ == kind::seeded ? rng_.split() : prng(pos_); }

  // Draws consumed so far from a list or byte source.
  std::size_t position() const noexcept { return pos_; }

 private:
  choice_source(kind k, std::uint64_t seed) : kind_(k), rng_(seed) {}

  std::uint64_t take_bytes(std::uint64_t n) {
    std::size_t width = n <= 0x100 ? 1 : n <= 0x10000 ? 2 : n <= 0x100000000ULL ? 4 : 8;
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < width && pos_ < size_; ++i)
      v = (v << 8) | bytes_[pos_++];
    return v;
  }

  kind kind_;
  prng rng_;
  std::vector<std::uint32_t> list_;
  const std::uint8_t* bytes_ = nullptr;
  std::size_t size_ = 0;
  std::size_t pos_ = 0;
};

}  // namespace simloop::detail
