// Symbolising access sites: only when a finding is written, cached per
// address. A return address points after the call; pc - 1 is inside it.
#include <simloop/detail/race_detector.hpp>

#include <fmt/format.h>

#include <dlfcn.h>

#include <cstdio>
#include <map>
#include <mutex>
#include <string>

namespace simloop::detail {

namespace {

// The last two components of a path: "races/lost_update_test.cpp". Build
// directories differ between machines; the file and its folder do not.
std::string short_path(std::string_view path) {
  auto last = path.rfind('/');
  if (last == std::string_view::npos || last == 0) return std::string(path);
  auto prev = path.rfind('/', last - 1);
  return std::string(prev == std::string_view::npos ? path : path.substr(prev + 1));
}

std::string run_addr2line(const char* module, std::uintptr_t offset) {
  std::string cmd = fmt::format("addr2line -C -i -e '{}' {:#x} 2>/dev/null", module, offset);
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return {};
  char buf[1024];
  std::string first;
  // -i prints the inlining chain innermost first; the last line is the
  // outermost (user) frame, which is the access site.
  while (std::fgets(buf, sizeof buf, p)) {
    std::string line(buf);
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    if (!line.empty()) first = line;
  }
  ::pclose(p);
  auto disc = first.find(" (discriminator");
  if (disc != std::string::npos) first.resize(disc);
  if (first.empty() || first[0] == '?') return {};
  auto colon = first.rfind(':');
  if (colon == std::string::npos || first.substr(colon + 1) == "?" || first.substr(colon + 1) == "0") return {};
  return short_path(std::string_view(first).substr(0, colon)) + first.substr(colon);
}

std::string symbolise(const void* pc) {
  auto addr = reinterpret_cast<std::uintptr_t>(pc) - 1;
  Dl_info info{};
  if (!::dladdr(reinterpret_cast<void*>(addr), &info) || !info.dli_fname) return fmt::format("{:#x}", addr);
  auto base = reinterpret_cast<std::uintptr_t>(info.dli_fbase);
  std::string where = run_addr2line(info.dli_fname, addr - base);
  if (where.empty()) where = run_addr2line(info.dli_fname, addr);  // non-PIE executable
  if (!where.empty()) return where;
  if (info.dli_sname)
    return fmt::format("{}+{:#x} ({})", info.dli_sname, addr - reinterpret_cast<std::uintptr_t>(info.dli_saddr),
                       short_path(info.dli_fname));
  return fmt::format("{}+{:#x}", short_path(info.dli_fname), addr - base);
}

}  // namespace

std::string describe_site(const access_site& site) {
  if (site.file) return fmt::format("{}:{}", short_path(site.file), site.line);
  if (!site.pc) return "(unknown site)";
  static std::mutex m;
  static std::map<const void*, std::string> cache;
  std::lock_guard<std::mutex> lock(m);
  auto it = cache.find(site.pc);
  if (it == cache.end()) it = cache.emplace(site.pc, symbolise(site.pc)).first;
  return it->second;
}

}  // namespace simloop::detail
