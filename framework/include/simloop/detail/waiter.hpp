// simloop/detail/waiter.hpp: pending waits of simloop's primitives (mutex,
// semaphore, event, condition, queue, task_group).
#pragma once

#include <simloop/detail/task_frame.hpp>  // before any coroutine: simloop's coroutine_traits

#include <simloop/annotations.hpp>
#include <simloop/detail/io_executor_slot.hpp>
#include <simloop/executor.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/cancellation_type.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/system/error_code.hpp>

#include <cstdint>
#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

namespace simloop::detail {

class scheduler;
class waiter_owner;

// A primitive that queues a waiter inside a simulation's run is noted by that
// simulation (src/waiters.cpp): when the run ends, its teardown destroys the
// waiters still queued, unrun, with the handlers they hold. A queued waiter
// is owned by nothing else the teardown reaches: a task parked on an event
// that lives in its own frame (or on a mutex held by a task parked the same
// way) would otherwise keep its frames forever.
void note_parked_owner(waiter_owner& o) noexcept;
void forget_parked_owner(waiter_owner& o) noexcept;

// One pending async operation of a primitive. Life cycle:
//   queued  -> granted (the owner gave it its permit / item / wake-up, and
//              posted its completion) -> done (the completion ran).
//   queued  -> cancelled (removed, completion posted with operation_aborted)
// Cancellation (the handler's associated slot) stays connected until the
// completion runs: a cancellation that arrives while a granted completion is
// still queued hands the grant back to the owner (give_back) and completes
// with operation_aborted instead. That is what keeps `lock() || timeout` and
// `get() || timeout` from losing a lock or an item when both sides finish in
// the same instant.
struct waiter_base {
  enum class state : unsigned char { queued, granted, done };

  waiter_base* prev = nullptr;
  waiter_base* next = nullptr;
  waiter_owner* owner = nullptr;
  state st = state::queued;
  boost::system::error_code ec;
  // The owner's happens-before key, acquired when the completion runs.
  const void* sync_key = nullptr;
  // For the owner's use (a queue's item sequence number, ...).
  std::uint64_t tag = 0;

  virtual ~waiter_base() = default;
  // Posts the completion to the handler's associated executor.
  virtual void post_completion() = 0;
  // Leaves its owner and is destroyed, with its handler, without running it
  // (simulation teardown, a crashed host's task).
  virtual void discard() noexcept = 0;
  // The simulated task the handler belongs to (the lane its executor
  // carries), 0 when not known.
  virtual std::uint32_t task_lane() const noexcept = 0;
};

// An intrusive FIFO list of waiters.
class waiter_list {
 public:
  bool empty() const noexcept { return head_ == nullptr; }
  waiter_base* front() const noexcept { return head_; }
  void push_back(waiter_base* w) noexcept {
    w->prev = tail_;
    w->next = nullptr;
    (tail_ ? tail_->next : head_) = w;
    tail_ = w;
  }
  void remove(waiter_base* w) noexcept {
    (w->prev ? w->prev->next : head_) = w->next;
    (w->next ? w->next->prev : tail_) = w->prev;
    w->prev = w->next = nullptr;
  }
  waiter_base* pop_front() noexcept {
    waiter_base* w = head_;
    if (w) remove(w);
    return w;
  }

 private:
  waiter_base* head_ = nullptr;
  waiter_base* tail_ = nullptr;
};

// A primitive's side of its waiters.
class waiter_owner {
 public:
  waiter_owner() = default;
  waiter_owner(const waiter_owner&) = delete;
  waiter_owner& operator=(const waiter_owner&) = delete;

  // A queued waiter was cancelled. Default: it leaves the queue and
  // completes with operation_aborted. Return false to keep it queued.
  virtual bool cancel_queued(waiter_base* w) {
    queued_.remove(w);
    return true;
  }
  // A granted waiter was cancelled before its completion ran: undo the
  // grant (return the permit, put the item back). Return false if the grant
  // cannot be undone (the waiter then completes successfully).
  virtual bool give_back(waiter_base*) { return true; }
  // A granted waiter's completion is about to run successfully: the grant
  // takes effect now (a queue's put enters the queue). Default: nothing.
  virtual void on_commit(waiter_base*) {}

  // Moves a queued (or new) waiter to granted and posts its completion.
  void grant(waiter_base* w, bool was_queued = true) {
    if (was_queued) queued_.remove(w);
    w->st = waiter_base::state::granted;
    w->sync_key = this;
    granted_.push_back(w);
    w->post_completion();
  }
  void enqueue(waiter_base* w) noexcept {
    w->owner = this;
    queued_.push_back(w);
    if (!parked_in_) [[unlikely]]
      note_parked_owner(*this);
  }
  void adopt(waiter_base* w) noexcept { w->owner = this; }

  // Happens-before on this owner's key (the same key grant() gives waiters,
  // whatever the derived class's layout).
  void release_edge() const noexcept { simloop::happens_before(this); }
  void acquire_edge() const noexcept { simloop::happens_after(this); }

  // Called by waiter_impl.
  void on_cancel(waiter_base* w) {
    if (w->st == waiter_base::state::queued) {
      if (!cancel_queued(w)) return;
      w->ec = boost::asio::error::operation_aborted;
      w->st = waiter_base::state::granted;
      w->sync_key = nullptr;
      granted_.push_back(w);
      w->post_completion();
    } else if (w->st == waiter_base::state::granted && !w->ec) {
      if (give_back(w)) {
        w->ec = boost::asio::error::operation_aborted;
        w->sync_key = nullptr;
      }
    }
  }
  void on_done(waiter_base* w) noexcept {
    if (w->st == waiter_base::state::granted) granted_.remove(w);
    else if (w->st == waiter_base::state::queued) queued_.remove(w);
    w->st = waiter_base::state::done;
    w->owner = nullptr;
  }

 protected:
  // Completes every queued waiter with operation_aborted and detaches the
  // granted ones (the primitive is being destroyed).
  void abandon_all() noexcept {
    while (waiter_base* w = queued_.pop_front()) {
      w->ec = boost::asio::error::operation_aborted;
      w->st = waiter_base::state::granted;
      w->sync_key = nullptr;
      w->owner = nullptr;
      try {
        w->post_completion();
      } catch (...) {
      }
    }
    while (waiter_base* w = granted_.pop_front()) {
      w->owner = nullptr;
      w->sync_key = nullptr;
    }
  }
  // Virtual only so that deleting a primitive (an event, a queue: classes
  // with virtual functions) through its own type is clean to every compiler
  // (clang's -Wdelete-non-abstract-non-virtual-dtor); the vtable is there anyway.
  virtual ~waiter_owner() {
    if (parked_in_) forget_parked_owner(*this);
    simloop::happens_forget(this);
  }

  waiter_list queued_;
  waiter_list granted_;

 private:
  // The simulation that noted this owner, and its list of them.
  friend class scheduler;
  friend void note_parked_owner(waiter_owner&) noexcept;
  friend void forget_parked_owner(waiter_owner&) noexcept;
  scheduler* parked_in_ = nullptr;
  waiter_owner* parked_prev_ = nullptr;
  waiter_owner* parked_next_ = nullptr;
};

// How a completion calls its handler.
enum class completion_form { ec, ec_value, value };

template <class T>
struct waiter_value {
  std::optional<T> value;
};
template <>
struct waiter_value<void> {};

template <class T>
struct waiter : waiter_base, waiter_value<T> {};

template <class Handler, class T, completion_form Form>
class waiter_impl final : public waiter<T> {
 public:
  template <class H>
  waiter_impl(H&& h, const boost::asio::any_io_executor& fallback)
      : handler_(std::forward<H>(h)), ex_(fallback) {}

  // Creates the waiter and connects the handler's cancellation slot.
  template <class H>
  static waiter_impl* create(H&& h, const boost::asio::any_io_executor& fallback, waiter_owner& owner) {
    auto* w = new waiter_impl(std::forward<H>(h), fallback);
    owner.adopt(w);
    auto slot = boost::asio::get_associated_cancellation_slot(w->handler_);
    if (slot.is_connected()) {
      slot.template emplace<cancel_handler>(cancel_handler{w});
    }
    return w;
  }

  void discard() noexcept override { finish(false); }
  std::uint32_t task_lane() const noexcept override {
    const auto ex = ex_.associated(handler_);
    if constexpr (std::is_same_v<std::decay_t<decltype(ex)>, boost::asio::any_io_executor>) {
      if (const auto* e = ex.template target<simloop::executor>()) return e->lane();
    } else if constexpr (std::is_same_v<std::decay_t<decltype(ex)>, simloop::executor>) {
      return ex.lane();
    }
    return 0;
  }

  void post_completion() override {
    // The posted function owns the waiter: destroyed unrun (teardown), it
    // frees it.
    struct runner {
      waiter_impl* w;
      explicit runner(waiter_impl* p) noexcept : w(p) {}
      runner(runner&& o) noexcept : w(std::exchange(o.w, nullptr)) {}
      runner& operator=(runner&&) = delete;
      ~runner() {
        if (w) w->finish(false);
      }
      void operator()() { std::exchange(w, nullptr)->finish(true); }
    };
    boost::asio::post(ex_.associated(handler_), runner(this));
  }

 private:
  struct cancel_handler {
    waiter_impl* w;
    void operator()(boost::asio::cancellation_type_t type) const {
      using ct = boost::asio::cancellation_type;
      if ((type & (ct::terminal | ct::partial | ct::total)) == ct::none) return;
      if (w->owner) w->owner->on_cancel(w);
    }
  };

  void finish(bool invoke) {
    auto slot = boost::asio::get_associated_cancellation_slot(handler_);
    if (slot.is_connected()) slot.clear();
    if (this->owner) {
      if (invoke && !this->ec) this->owner->on_commit(this);
      this->owner->on_done(this);
    }
    Handler h(std::move(handler_));
    boost::system::error_code ec = this->ec;
    const void* key = this->sync_key;
    [[maybe_unused]] std::conditional_t<std::is_void_v<T>, int, std::optional<T>> value{};
    if constexpr (!std::is_void_v<T>) value = std::move(this->value);
    delete this;
    if (!invoke) return;
    if (key && !ec) simloop::happens_after(key);
    if constexpr (Form == completion_form::ec) {
      std::move(h)(ec);
    } else if constexpr (Form == completion_form::ec_value) {
      if (value) std::move(h)(ec, std::move(*value));
      else std::move(h)(ec, T{});
    } else {
      if (value) std::move(h)(std::move(*value));
      else std::move(h)(T{});
    }
  }

  Handler handler_;
  // The executor the completion is posted to is the handler's associated
  // one, the I/O object's as fallback (kept only when used).
  [[no_unique_address]] io_executor_slot<Handler, boost::asio::any_io_executor> ex_;
};

}  // namespace simloop::detail
