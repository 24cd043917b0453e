// simloop/queue.hpp: a bounded FIFO queue (asyncio.Queue) for Asio code.
#pragma once

#include <simloop/detail/task_frame.hpp>  // before any coroutine: simloop's coroutine_traits

#include <simloop/detail/waiter.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/execution_context.hpp>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>

namespace simloop {

// asyncio.Queue for Asio: put/get (async, FIFO fair on both sides),
// try_put/try_get, task_done/join. maxsize 0 means unbounded.
// Executor-agnostic and single-threaded; completions are posted.
//
// Cancellation never loses or duplicates an item:
//  - a get cancelled while waiting takes nothing; one cancelled after an item
//    was handed to it (completion not yet run) puts the item back at the
//    front, for the next getter;
//  - a put takes effect when its completion runs (until then its item holds
//    a reserved slot, invisible to getters): a put cancelled before that,
//    waiting or granted, leaves nothing in the queue, so retrying it after
//    `put || timeout` cannot duplicate the item.
// T must be movable and default-constructible (an aborted get completes with
// T{}). put is a happens-before release, get an acquire; task_done a
// release and a completed join an acquire.
template <class T>
class queue : private detail::waiter_owner {
 public:
  using executor_type = boost::asio::any_io_executor;
  using value_type = T;

  explicit queue(const executor_type& ex, std::size_t maxsize = 0) : ex_(ex), maxsize_(maxsize) {}
  template <class ExecutionContext>
    requires std::is_convertible_v<ExecutionContext&, boost::asio::execution_context&>
  explicit queue(ExecutionContext& ctx, std::size_t maxsize = 0) : queue(executor_type(ctx.get_executor()), maxsize) {}
  ~queue() {
    abandon_lists();
    abandon_all();
  }

  executor_type get_executor() const noexcept { return ex_; }
  std::size_t size() const noexcept { return items_.size(); }
  bool empty() const noexcept { return items_.empty(); }
  bool full() const noexcept { return maxsize_ != 0 && items_.size() + reserved_ >= maxsize_; }
  std::size_t maxsize() const noexcept { return maxsize_; }
  // Items put and not yet marked task_done.
  std::size_t unfinished() const noexcept { return unfinished_; }

  // Completes with (error_code) once the item is in the queue.
  template <class Token = boost::asio::default_completion_token_t<executor_type>>
  auto async_put(T item, Token&& token = boost::asio::default_completion_token_t<executor_type>()) {
    return boost::asio::async_initiate<Token, void(boost::system::error_code)>(initiate_put{this}, token,
                                                                               std::move(item));
  }
  // Completes with (error_code, T): the oldest item.
  template <class Token = boost::asio::default_completion_token_t<executor_type>>
  auto async_get(Token&& token = boost::asio::default_completion_token_t<executor_type>()) {
    return boost::asio::async_initiate<Token, void(boost::system::error_code, T)>(initiate_get{this}, token);
  }
  // Completes with (error_code) once every item put has been marked task_done.
  template <class Token = boost::asio::default_completion_token_t<executor_type>>
  auto async_join(Token&& token = boost::asio::default_completion_token_t<executor_type>()) {
    return boost::asio::async_initiate<Token, void(boost::system::error_code)>(initiate_join{this}, token);
  }

  // Puts without waiting; false (item untouched) if full or putters wait.
  bool try_put(T&& item) {
    if (!putters_.empty() || full()) return false;
    release_edge();
    admit(std::move(item));
    return true;
  }
  bool try_put(const T& item) {
    T copy(item);
    return try_put(std::move(copy));
  }
  // Gets without waiting.
  std::optional<T> try_get() {
    if (items_.empty()) return std::nullopt;
    std::optional<T> out(std::move(items_.front().value));
    items_.pop_front();
    acquire_edge();
    admit_waiting_putters();
    return out;
  }

  // One item taken earlier is processed. Throws std::logic_error if called
  // more often than items were put.
  void task_done() {
    if (unfinished_ == 0) throw std::logic_error("simloop::queue::task_done called more times than items were put");
    release_edge();
    if (--unfinished_ == 0) {
      while (detail::waiter_base* w = joiners_.pop_front()) grant_from(w);
    }
  }

 private:
  enum : std::uint64_t { role_get = 1, role_put = 2, role_join = 3 };
  struct entry {
    std::uint64_t seq;
    T value;
  };
  using get_waiter = detail::waiter<T>;
  using put_waiter = detail::waiter<void>;
  // A waiting putter keeps its item here until admitted.
  struct pending_put {
    put_waiter* w;
    T value;
  };

  struct initiate_put {
    queue* self;
    template <class Handler>
    void operator()(Handler&& h, T item) const {
      using op = detail::waiter_impl<std::decay_t<Handler>, void, detail::completion_form::ec>;
      auto* w = op::create(std::forward<Handler>(h), self->ex_, *self);
      w->tag = role_put;
      self->release_edge();
      self->pending_.push_back(pending_put{w, std::move(item)});
      if (self->putters_.empty() && !self->full()) {
        ++self->reserved_;
        self->grant(w, false);
      } else {
        self->enqueue_in(self->putters_, w);
      }
    }
  };
  struct initiate_get {
    queue* self;
    template <class Handler>
    void operator()(Handler&& h) const {
      using op = detail::waiter_impl<std::decay_t<Handler>, T, detail::completion_form::ec_value>;
      auto* w = op::create(std::forward<Handler>(h), self->ex_, *self);
      w->tag = role_get;
      if (self->getters_.empty() && !self->items_.empty()) {
        self->hand_front(w);
        self->grant(w, false);
        self->admit_waiting_putters();
      } else {
        self->enqueue_in(self->getters_, w);
      }
    }
  };
  struct initiate_join {
    queue* self;
    template <class Handler>
    void operator()(Handler&& h) const {
      using op = detail::waiter_impl<std::decay_t<Handler>, void, detail::completion_form::ec>;
      auto* w = op::create(std::forward<Handler>(h), self->ex_, *self);
      w->tag = role_join;
      if (self->unfinished_ == 0) self->grant(w, false);
      else self->enqueue_in(self->joiners_, w);
    }
  };

  // The queue keeps three waiter lists of its own (the owner's queued_ list
  // stays empty); each waiter's tag says which.
  void enqueue_in(detail::waiter_list& l, detail::waiter_base* w) { l.push_back(w); }
  detail::waiter_list& list_of(detail::waiter_base* w) {
    switch (w->tag & 3) {
      case role_get: return getters_;
      case role_put: return putters_;
      default: return joiners_;
    }
  }
  void grant_from(detail::waiter_base* w) {
    // Already unlinked from its role list by the caller.
    grant(w, false);
  }

  // Adds an item (the queue has room); it goes straight to the oldest
  // waiting getter if there is one. Returns its sequence number.
  std::uint64_t admit(T&& item) {
    std::uint64_t seq = ++next_seq_;
    ++unfinished_;
    items_.push_back(entry{seq, std::move(item)});
    serve_getters();
    return seq;
  }
  void serve_getters() {
    while (!items_.empty() && !getters_.empty()) {
      auto* g = static_cast<get_waiter*>(getters_.pop_front());
      hand_front(g);
      grant(g, false);
    }
  }
  void hand_front(detail::waiter_base* w) {
    auto* g = static_cast<get_waiter*>(w);
    g->value.emplace(std::move(items_.front().value));
    g->tag = role_get | (items_.front().seq << 2);
    items_.pop_front();
  }
  // Waiting putters get the free slots, oldest first; their items enter
  // the queue when their completions run (on_commit).
  void admit_waiting_putters() {
    while (!putters_.empty() && !full()) {
      auto* p = static_cast<put_waiter*>(putters_.pop_front());
      ++reserved_;
      grant(p, false);
    }
  }
  void on_commit(detail::waiter_base* w) override {
    if ((w->tag & 3) != role_put) return;
    --reserved_;
    admit(take_pending(static_cast<put_waiter*>(w)));
  }
  T take_pending(put_waiter* p) {
    for (auto it = pending_.begin(); it != pending_.end(); ++it) {
      if (it->w == p) {
        T v(std::move(it->value));
        pending_.erase(it);
        return v;
      }
    }
    return T{};
  }

  bool cancel_queued(detail::waiter_base* w) override {
    list_of(w).remove(w);
    if ((w->tag & 3) == role_put) (void)take_pending(static_cast<put_waiter*>(w));
    return true;
  }
  bool give_back(detail::waiter_base* w) override {
    std::uint64_t seq = w->tag >> 2;
    switch (w->tag & 3) {
      case role_get: {
        // The item goes back to the front, where it came from.
        auto* g = static_cast<get_waiter*>(w);
        if (g->value) items_.push_front(entry{seq, std::move(*g->value)});
        g->value.reset();
        serve_getters();
        return true;
      }
      case role_put:
        // Not committed yet: free the slot, drop the item.
        --reserved_;
        (void)take_pending(static_cast<put_waiter*>(w));
        admit_waiting_putters();
        return true;
      default:
        return true;
    }
  }
  void abandon_lists() noexcept {
    for (detail::waiter_list* l : {&getters_, &putters_, &joiners_}) {
      while (detail::waiter_base* w = l->pop_front()) queued_.push_back(w);
    }
  }

  executor_type ex_;
  std::size_t maxsize_;
  std::deque<entry> items_;
  detail::waiter_list getters_, putters_, joiners_;
  std::deque<pending_put> pending_;
  std::size_t unfinished_ = 0;
  std::size_t reserved_ = 0;  // slots of granted puts whose completion has not run
  std::uint64_t next_seq_ = 0;
};

}  // namespace simloop
