// scenarios/connection_pool/pool.hpp
//
// A connection pool: acquire with a timeout, release on every path. The
// lease is an RAII handle, so an exception thrown while the connection is in
// use still gives it back.
#pragma once

#include <simloop/semaphore.hpp>
#include <simloop/timeout.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <utility>
#include <vector>

namespace scenarios::connection_pool {

namespace asio = boost::asio;

class pool {
 public:
  class lease {
   public:
    lease(pool& p, int conn) : pool_(&p), conn_(conn) {}
    lease(lease&& o) noexcept : pool_(std::exchange(o.pool_, nullptr)), conn_(o.conn_) {}
    lease& operator=(lease&&) = delete;
    ~lease() {
      if (pool_) pool_->release(conn_);
    }
    int connection() const noexcept { return conn_; }

   private:
    pool* pool_;
    int conn_;
  };

  pool(asio::any_io_executor ex, int size) : permits_(ex, static_cast<std::size_t>(size)) {
    for (int i = 0; i < size; ++i) free_.push_back(i);
  }

  // Waits up to `patience` for a connection; throws system_error(timed_out).
  asio::awaitable<lease> acquire(std::chrono::milliseconds patience) {
    co_return lease(*this, co_await acquire_raw(patience));
  }

  // The bare protocol: the caller must release(connection) on every path.
  asio::awaitable<int> acquire_raw(std::chrono::milliseconds patience) {
    co_await simloop::timeout(patience, permits_.async_acquire(asio::use_awaitable));
    int conn = free_.back();
    free_.pop_back();
    co_return conn;
  }

  void release(int conn) {
    free_.push_back(conn);
    permits_.release();
  }

  std::size_t idle() const noexcept { return free_.size(); }

 private:
  simloop::semaphore permits_;
  std::vector<int> free_;
};

}  // namespace scenarios::connection_pool
