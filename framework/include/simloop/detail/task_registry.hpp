// simloop/detail/task_registry.hpp: every task of a run, by lane.
#pragma once

#include <cstdint>
#include <vector>

namespace simloop::detail {

// A task is one co_spawned coroutine (an Asio "awaitable thread"). Its lane is
// its id: dense, from 1, in spawn order, so ids are the same on every replay.
// Lane 0 is work outside any task (handlers posted from outside a run).
//
// What findings print about a live task (its coroutine's name, spawn site,
// what it waits on now) is kept in its entry frame, a detail::task_frame
// (detail/task_frame.hpp), as pointers and words; detail/task_report.hpp
// formats it (task_label, describe_task) only when a finding is printed.
// 32 bytes: a million tasks keep a million of these.
struct task_record {
  void* frame = nullptr;          // the entry frame (a task_frame), while the task lives
  std::uint64_t spawn_step = 0;   // step during which it was spawned
  std::uint32_t parent = 0;       // lane that spawned it
  std::uint32_t host = 0;         // simulated host (net::host::id), 0: none
  bool alive = false;
  bool torn_down = false;         // ended by the simulation's teardown, not by finishing
  // Its host crashed while it was parked where the crash could not reach
  // (an asio::experimental::channel that outlives the host): it never runs
  // again, and whatever is submitted to it is destroyed (scheduler::execute).
  bool crashed = false;
};

class task_registry {
 public:
  task_registry() {
    // One allocation for a small run's tasks, not one per doubling.
    tasks_.reserve(16);
    tasks_.emplace_back();
  }

  std::uint32_t spawn(void* frame, std::uint32_t parent, std::uint64_t step) {
    auto lane = static_cast<std::uint32_t>(tasks_.size());
    tasks_.push_back(task_record{frame, step, parent, 0, true});
    ++alive_;
    return lane;
  }
  void finish(std::uint32_t lane, bool torn_down = false) noexcept {
    if (lane < tasks_.size() && tasks_[lane].alive) {
      tasks_[lane].alive = false;
      tasks_[lane].torn_down = torn_down;
      tasks_[lane].frame = nullptr;
      --alive_;
    }
  }

  void set_host(std::uint32_t lane, std::uint32_t host) noexcept {
    if (lane < tasks_.size()) tasks_[lane].host = host;
  }
  // The live tasks of a host that crashed are crashed from now on; returns
  // how many.
  std::size_t mark_crashed(std::uint32_t host) noexcept {
    std::size_t n = 0;
    for (std::size_t l = 1; l < tasks_.size(); ++l)
      if (tasks_[l].alive && tasks_[l].host == host && !tasks_[l].crashed) {
        tasks_[l].crashed = true;
        ++n;
      }
    return n;
  }

  std::size_t size() const noexcept { return tasks_.size() - 1; }
  std::size_t alive() const noexcept { return alive_; }
  const task_record& operator[](std::uint32_t lane) const { return tasks_[lane]; }

 private:
  std::vector<task_record> tasks_;
  std::size_t alive_ = 0;
};

}  // namespace simloop::detail
