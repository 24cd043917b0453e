// simloop/net/detail/io_op.hpp: a pending socket operation with its handler.
#pragma once

#include <simloop/detail/task_frame.hpp>
#include <simloop/simulation.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/cancellation_type.hpp>
#include <boost/asio/post.hpp>
#include <boost/system/error_code.hpp>

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <type_traits>
#include <utility>

namespace simloop::net::detail {

namespace sd = simloop::detail;

// What a pending operation is doing; cancellation and deadlock descriptions
// switch on it.
enum class io_kind : std::uint8_t { read, write, connect, accept, send_to, receive_from };

// The non-template part of every socket operation. While pending it sits in
// its I/O object (owner); when it completes it becomes the ready entry itself
// (no second allocation), like simloop's timer waits.
struct io_op : sd::operation {
  using sd::operation::operation;

  boost::system::error_code ec;
  std::size_t bytes = 0;
  void* data = nullptr;          // read: destination; write: source
  std::size_t size = 0;
  void* target = nullptr;        // accept: socket_impl*; receive_from: udp::endpoint*
  void* owner = nullptr;         // the I/O object's impl while pending, else null
  io_op* next = nullptr;         // FIFO of pending accepts / receives
  std::uint32_t handler_lane = 0;
  io_kind kind = io_kind::read;
  // Where in this op the awaitable_thread its completion resumes lies (an
  // awaitable_handler, maybe inside Asio's composed operations), 0 if none:
  // the timer lookahead loads the task's frames from there before the op
  // completes (tcp.cpp, look_ahead_event). Sits in padding.
  std::uint16_t thread_at = 0;

  // The entry frame of the task the completion resumes, or null.
  const sd::entry_frame_base* awaiting_entry() const noexcept {
    if (thread_at == 0) return nullptr;
    const sd::entry_frame_base* entry;
    std::memcpy(&entry, reinterpret_cast<const char*>(this) + thread_at, sizeof entry);
    return entry;
  }
};

// The awaitable_thread (use_awaitable's handler, whose only word is its entry
// frame) inside a handler, following Asio's composed operations (read_op,
// write_op, redirect_error's handler, ...: each holds the next as handler_);
// null if the handler resumes no coroutine of any_io_executor.
template <class H>
const void* awaiting_thread(H& h) noexcept {
  using entry_ptr = sd::entry_frame_base*;
  if constexpr (requires { { h.entry_point() } -> std::same_as<entry_ptr>; }) {
    static_assert(sizeof(boost::asio::detail::awaitable_thread<sd::any_executor>) == sizeof(entry_ptr));
    entry_ptr first;
    std::memcpy(&first, static_cast<const void*>(&h), sizeof first);
    return first == h.entry_point() ? static_cast<const void*>(&h) : nullptr;
  } else if constexpr (requires { h.handler_; }) {
    if constexpr (std::is_reference_v<decltype(h.handler_)> || std::is_pointer_v<decltype(h.handler_)>) return nullptr;
    else return awaiting_thread(h.handler_);
  } else {
    return nullptr;
  }
}

// Completes a pending op from its I/O object: queued, never run inline.
void complete_io(sd::scheduler& s, io_op* op, boost::system::error_code ec, std::size_t bytes);
// Cancellation through the handler's slot (defined with the I/O objects).
void cancel_io(io_op* op) noexcept;

struct invoke_ec {
  template <class H>
  static void invoke(H& h, boost::system::error_code ec, std::size_t) {
    std::move(h)(ec);
  }
};
struct invoke_ec_size {
  template <class H>
  static void invoke(H& h, boost::system::error_code ec, std::size_t n) {
    std::move(h)(ec, n);
  }
};

// The I/O object's executor is kept only for a handler that is posted
// (one bound to another executor): a handler run directly never needs it,
// and copying, moving and destroying an any_io_executor per operation, and
// loading its cache line when the operation completes, is measurable.
template <class Handler, class Invoker>
struct io_op_impl final : io_op {
  template <class H>
  explicit io_op_impl(H&& h) : io_op(&do_complete), handler_(std::forward<H>(h)) {}
  io_op_impl(const io_op_impl&) = delete;
  ~io_op_impl() {
    if (!direct_) io_ex()->~any_io_executor();
  }

  // The handler is posted through its associated executor on completion.
  void keep_io_executor(const boost::asio::any_io_executor& ex) {
    ::new (static_cast<void*>(io_ex_storage_)) boost::asio::any_io_executor(ex);
    direct_ = false;
  }

  static void do_complete(sd::operation* base, bool invoke) {
    auto* self = static_cast<io_op_impl*>(base);
    sd::op_pool* pool = self->pool_;
    auto slot = boost::asio::get_associated_cancellation_slot(self->handler_);
    if (slot.is_connected()) slot.clear();
    Handler handler(std::move(self->handler_));
    boost::system::error_code ec = self->ec;
    std::size_t n = self->bytes;
    if (self->direct_) {
      self->~io_op_impl();
      pool->deallocate(self, sizeof(io_op_impl));
      if (invoke) Invoker::invoke(handler, ec, n);
      return;
    }
    boost::asio::any_io_executor io_ex(std::move(*self->io_ex()));
    self->~io_op_impl();
    pool->deallocate(self, sizeof(io_op_impl));
    if (!invoke) return;
    auto ex = boost::asio::get_associated_executor(handler, io_ex);
    boost::asio::post(ex, [h = std::move(handler), ec, n]() mutable { Invoker::invoke(h, ec, n); });
  }

  boost::asio::any_io_executor* io_ex() noexcept {
    return std::launder(reinterpret_cast<boost::asio::any_io_executor*>(io_ex_storage_));
  }

  Handler handler_;
  bool direct_ = true;
  alignas(boost::asio::any_io_executor) unsigned char io_ex_storage_[sizeof(boost::asio::any_io_executor)];
};

struct io_cancellation {
  io_op* op;
  void operator()(boost::asio::cancellation_type_t type) const {
    using ct = boost::asio::cancellation_type;
    if ((type & (ct::terminal | ct::partial | ct::total)) != ct::none) cancel_io(op);
  }
};

// Allocates an op for handler from the simulation's pool. The op's lane is
// the task of the handler's associated executor; a handler bound to another
// executor (a strand, say) is posted there when the op completes.
template <class Invoker, class Handler>
io_op* make_io_op(sd::scheduler& s, Handler&& handler, const boost::asio::any_io_executor& io_ex, io_kind kind) {
  using op_type = io_op_impl<std::decay_t<Handler>, Invoker>;
  void* mem = s.pool().allocate(sizeof(op_type));
  op_type* op;
  try {
    op = ::new (mem) op_type(std::forward<Handler>(handler));
  } catch (...) {
    s.pool().deallocate(mem, sizeof(op_type));
    throw;
  }
  op->pool_ = &s.pool();
  op->kind = kind;
  if (const void* thread = awaiting_thread(op->handler_)) {
    std::ptrdiff_t at = static_cast<const char*>(thread) - reinterpret_cast<const char*>(op);
    if (at > 0 && at < 65536) op->thread_at = static_cast<std::uint16_t>(at);
  }
  auto assoc = boost::asio::get_associated_executor(op->handler_, io_ex);
  try {
    if constexpr (std::is_same_v<decltype(assoc), simloop::executor>) {
      op->handler_lane = assoc.lane();
    } else if constexpr (std::is_same_v<decltype(assoc), boost::asio::any_io_executor>) {
      if (const auto* e = assoc.template target<simloop::executor>()) op->handler_lane = e->lane();
      else op->keep_io_executor(io_ex);
    } else {
      op->keep_io_executor(io_ex);
    }
  } catch (...) {
    op->~op_type();
    s.pool().deallocate(mem, sizeof(op_type));
    throw;
  }
  auto slot = boost::asio::get_associated_cancellation_slot(op->handler_);
  if (slot.is_connected()) slot.template emplace<io_cancellation>(io_cancellation{op});
  return op;
}

}  // namespace simloop::net::detail
