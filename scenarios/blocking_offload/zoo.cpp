#include "offload.hpp"

#include "../zoo/zoo.hpp"

#include <simloop/gather.hpp>

namespace scenarios::blocking_offload {
namespace {

// Two logins hash passwords while a heartbeat must keep ticking every ms.
asio::awaitable<void> logins(bool direct) {
  int beats = 0;
  auto heartbeat = [&]() -> asio::awaitable<void> {
    for (int i = 0; i < 10; ++i) {
      co_await simloop::sleep_for(std::chrono::milliseconds(1));
      ++beats;
    }
  };
  auto login = [&](std::string pw) -> asio::awaitable<std::string> {
    if (direct) co_return hash_password(pw, true);
    auto work = [pw] { return hash_password(pw, false); };
    co_return co_await to_thread(nullptr, work, std::chrono::milliseconds(5));
  };
  std::vector<asio::awaitable<std::string>> users;
  users.push_back(login("hunter2"));
  users.push_back(login("correct horse"));
  auto everything = simloop::gather(heartbeat(), simloop::gather(std::move(users)));
  co_await std::move(everything);
  SIMLOOP_ASSERT(beats == 10);
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
