#include "offload.hpp"

#include "../zoo/zoo.hpp"


#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include <memory>

namespace scenarios::blocking_offload {
namespace {

// Two logins hash passwords while a heartbeat must keep ticking every ms.
asio::awaitable<void> heartbeat(std::shared_ptr<int> beats) {
  for (int i = 0; i < 10; ++i) {
    co_await simloop::sleep_for(std::chrono::milliseconds(1));
    ++*beats;
  }
}

asio::awaitable<void> login(std::string pw, bool direct, std::shared_ptr<std::string> out) {
  if (direct) {
    *out = hash_password(pw, true);
    co_return;
  }
  auto work = [pw] { return hash_password(pw, false); };
  *out = co_await to_thread(nullptr, work, std::chrono::milliseconds(5));
}

asio::awaitable<void> counted(asio::awaitable<void> work, std::shared_ptr<int> done) {
  co_await std::move(work);
  ++*done;
}

asio::awaitable<void> logins(bool direct) {
  auto ex = co_await asio::this_coro::executor;
  auto beats = std::make_shared<int>(0), done = std::make_shared<int>(0);
  auto a = std::make_shared<std::string>(), b = std::make_shared<std::string>();
  asio::co_spawn(ex, counted(heartbeat(beats), done), asio::detached);
  asio::co_spawn(ex, counted(login("hunter2", direct, a), done), asio::detached);
  asio::co_spawn(ex, counted(login("correct horse", direct, b), done), asio::detached);
  // Waiting by polling a timer, not in a primitive's waiter list: when the
  // blocking-call detector stops the run mid-way, the teardown owns every
  // frame. (A frame parked in a task_group's join list at a stopped run is
  // kept alive by a shared_ptr cycle: a known leak of teardown.)
  while (*done < 3) co_await simloop::sleep_for(std::chrono::milliseconds(1));
  SIMLOOP_ASSERT(*beats == 10 && !a->empty() && !b->empty());
}

const simloop::zoo::registrar correct{{
    .scenario = "blocking_offload",
    .name = "correct",
    .make_body = [] { return logins(false); },
    .runs = 300,
}};

const simloop::zoo::registrar direct{{
    .scenario = "blocking_offload",
    .name = "blocking_in_coroutine",
    .mistake = "the blocking hash runs on the loop (std::this_thread::sleep_for inside a step)",
    .expected = simloop::finding_kind::blocking_call,
    .make_body = [] { return logins(true); },
}};

}  // namespace
}  // namespace scenarios::blocking_offload
