// scenarios/pagination/pages.hpp
//
// An async generator over a paginated table (Python's `async for row in
// paginate(db)`): a cursor that fetches one page at a time and hands out rows.
// The table changes while it is read. Keyset pagination ("rows after the last
// id I saw") sees every row that stayed in the table; offset pagination
// ("rows from position n") skips one whenever an earlier row is deleted
// between two page fetches.
#pragma once

#include <simloop/sleep.hpp>

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace scenarios::pagination {

namespace asio = boost::asio;

struct row {
  int id;
  std::string value;
};

// An ordered table behind a network round trip.
class table {
 public:
  explicit table(int rows, std::chrono::milliseconds latency = std::chrono::milliseconds(3)) : latency_(latency) {
    for (int i = 1; i <= rows; ++i) rows_.emplace(i, "row " + std::to_string(i));
  }

  // SELECT * WHERE id > after ORDER BY id LIMIT limit
  asio::awaitable<std::vector<row>> rows_after(int after, std::size_t limit) {
    co_await simloop::sleep_for(latency_);
    std::vector<row> page;
    for (auto it = rows_.upper_bound(after); it != rows_.end() && page.size() < limit; ++it)
      page.push_back({it->first, it->second});
    co_return page;
  }

  // SELECT * ORDER BY id LIMIT limit OFFSET offset
  asio::awaitable<std::vector<row>> rows_from(std::size_t offset, std::size_t limit) {
    co_await simloop::sleep_for(latency_);
    std::vector<row> page;
    auto it = rows_.begin();
    for (std::size_t i = 0; i < offset && it != rows_.end(); ++i) ++it;
    for (; it != rows_.end() && page.size() < limit; ++it) page.push_back({it->first, it->second});
    co_return page;
  }

  asio::awaitable<void> erase(int id) {
    co_await simloop::sleep_for(latency_);
    rows_.erase(id);
  }

 private:
  std::chrono::milliseconds latency_;
  std::map<int, std::string> rows_;
};

enum class paging { keyset, offset };

// The generator: next() yields rows in id order, nullopt at the end.
class cursor {
 public:
  cursor(table& t, std::size_t page_size, paging mode = paging::keyset) : table_(t), size_(page_size), mode_(mode) {}

  asio::awaitable<std::optional<row>> next() {
    if (pos_ == page_.size()) {
      if (done_) co_return std::nullopt;
      if (mode_ == paging::keyset) {
        page_ = co_await table_.rows_after(last_id_, size_);
      } else {
        page_ = co_await table_.rows_from(offset_, size_);
        offset_ += page_.size();
      }
      pos_ = 0;
      done_ = page_.size() < size_;
      if (page_.empty()) co_return std::nullopt;
    }
    row r = page_[pos_++];
    last_id_ = r.id;
    co_return r;
  }

 private:
  table& table_;
  std::size_t size_;
  paging mode_;
  std::vector<row> page_;
  std::size_t pos_ = 0;
  std::size_t offset_ = 0;
  int last_id_ = 0;
  bool done_ = false;
};

}  // namespace scenarios::pagination
