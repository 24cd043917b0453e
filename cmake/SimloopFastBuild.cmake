# Build speed for simloop's own tests, scenarios and fuzz replay drivers
# (SIMLOOP_FAST_BUILD, on when simloop is the top-level project; the library
# itself and the benchmarks are built as configured).
#
# Two measured costs of a test translation unit (GCC 12, -O2, one unit of
# net_test compiled alone, alternating): Asio's, simloop's and GoogleTest's
# headers cost ~2.6 s of its ~13 s before its own code, and full debug
# information (-g) another ~3 s. So:
#  - precompiled headers: a host target compiles the common headers once per
#    build, and the targets with the same compile flags reuse its PCH. It is
#    only an accelerator: every source still includes what it uses, and
#    core_headers_test compiles each public header on its own without one;
#  - line tables only (-g1) in the Debug and RelWithDebInfo configurations:
#    file, line, function and inlined frames, which is what spawn sites,
#    blocking-call backtraces and sanitizer reports read. What -g1 drops
#    (types and locals, for a debugger) comes back with
#    -DSIMLOOP_FAST_BUILD=OFF.

# simloop_fast_build(target): line tables only for target's own sources.
function(simloop_fast_build target)
  if(SIMLOOP_FAST_BUILD)
    target_compile_options(${target} PRIVATE $<$<CONFIG:Debug,RelWithDebInfo>:-g1>)
  endif()
endfunction()

# simloop_pch_host(host HEADERS h... LIBS l...): an object library whose only
# product is the PCH of the headers, built with the LIBS' usage requirements,
# simloop's warnings and simloop_fast_build.
function(simloop_pch_host host)
  if(NOT SIMLOOP_FAST_BUILD)
    return()
  endif()
  cmake_parse_arguments(P "" "" "HEADERS;LIBS" ${ARGN})
  set(empty ${CMAKE_CURRENT_BINARY_DIR}/${host}.cpp)
  file(CONFIGURE OUTPUT ${empty} CONTENT "// The translation unit that builds ${host}'s precompiled header.\n")
  add_library(${host} OBJECT ${empty})
  target_link_libraries(${host} PRIVATE ${P_LIBS})
  simloop_warnings(${host})
  simloop_fast_build(${host})
  target_precompile_headers(${host} PRIVATE ${P_HEADERS})
endfunction()

# simloop_use_pch(target host): target's sources start from host's PCH. The
# target must link the host's LIBS and be built with simloop_fast_build
# (further include directories, and definitions no header of the PCH reads,
# are fine).
function(simloop_use_pch target host)
  if(SIMLOOP_FAST_BUILD AND TARGET ${host})
    target_precompile_headers(${target} REUSE_FROM ${host})
  endif()
endfunction()
