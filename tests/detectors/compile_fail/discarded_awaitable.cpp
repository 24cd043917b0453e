// Must not compile with -Werror=unused-result: fetch() is called and its
// awaitable discarded, the classic forgotten co_await.
#include <simloop/simloop.hpp>

asio::awaitable<int> fetch() { co_return 42; }

asio::awaitable<void> body() {
#ifdef SIMLOOP_AWAIT_IT
  co_await fetch();
#else
  fetch();
#endif
  co_return;
}

int main() {
  simloop::simulation sim;
  return sim.run(body()).ok() ? 0 : 1;
}
